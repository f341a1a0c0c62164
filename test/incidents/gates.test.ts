// Issue 12 through the bot and real windows: the seed's whole pre-deploy checklist (real check scripts
// in test/fixtures/gates, a monitoring endpoint on 127.0.0.1), approvals that accumulate across admins,
// `strict`, an unwatched environment, the commit-status port; a hotfix's checklist overridden by the
// second admin (recorded and shown) or only warned (record-only); Lunar New Year's CTO sign-off.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bugEvents, bugs, hotfixRequests } from "../../drizzle/schema.js";
import type { BugRow } from "../../src/app/bugs.js";
import type { CommitStatusPort } from "../../src/app/checklist.js";
import { setOncall } from "../../src/app/oncall.js";
import { gateSchemas } from "../../src/config/pipeline-gates.js";
import type { Config } from "../../src/config.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, drive, GROUP, reportOne, T1 } from "../support/fixtures.js";
import { alice, bob, buttonsOf, messageUpdate, type Person } from "../support/telegram.js";
import { last, pressData, pressOn, toasts } from "../telegram/helpers.js";
import { confirmedBug } from "../windows/support.js";
import {
  at,
  backupScript,
  DAY,
  fakeHttp,
  type IncidentBot,
  incidentBot,
  incidentConfig,
  incidentSetup,
  setVersions,
} from "./support.js";

const GATES = fileURLToPath(new URL("../fixtures/gates/", import.meta.url));
const NEXT_DAY = "2099-11-25";
const dave: Person = { id: 1003, first_name: "Dave", username: "dave" };

/** The checklist and roles as PIPELINE_CONFIG's zod schema loads them (env read at load). */
function loadGates(json: { checklist?: unknown; roles?: unknown }, env: Record<string, string> = {}) {
  const schemas = gateSchemas({
    env,
    defaults: { timezone: "Asia/Taipei", windows: { t1: "20:00", t2: "22:00", graceMinutes: 30 }, prometheusUrl: null },
    base: GATES,
    withheld: [],
  });
  return { checklist: schemas.checklist.parse(json.checklist), roles: schemas.roles.parse(json.roles) };
}

/** State files the fixture scripts read, and a source folder the secret scanner walks. */
function scripts() {
  const dir = mkdtempSync(join(tmpdir(), "ns-gates-"));
  const src = join(dir, "src");
  const state = (name: string, text: string) => writeFileSync(join(dir, name), `${text}\n`);
  mkdirSync(src);
  state("tests", "ok");
  state("audit", "0 0");
  state("budget", "12.5 100");
  return {
    dir,
    src,
    state,
    checklist: (extra: Record<string, unknown> = {}) => ({
      backup: { command: [backupScript, join(dir, "backup")] },
      tests: { command: ["./tests.sh", join(dir, "tests")] },
      security: { command: ["./audit.sh", join(dir, "audit")] },
      budget: { command: ["./budget.sh", join(dir, "budget")] },
      secrets: { check: { command: ["./secrets.sh", src] }, requiredEnv: { prod: ["PAYMENT_KEY", "SMTP_PASSWORD"] } },
      ...extra,
    }),
  };
}
describe.each(testBackends())("issue 12 gates on $name", (backend) => {
  const t = useTestDatabase(backend);
  let monitoring: Awaited<ReturnType<typeof fakeHttp>>;
  beforeEach(async () => {
    await t.reset();
    monitoring = await fakeHttp((url) => (url.pathname === "/-/ready" ? [200, "ok"] : [404, {}]));
  });
  afterEach(() => monitoring.close());

  const oncall = (day: string) =>
    setOncall(t.db, { systemId: "crm", day, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00"));

  /** Carol's bug, confirmed and deployed to UAT by T1, approved for PROD by Alice (one admin). */
  async function approvedOnce(): Promise<BugRow> {
    return drive(
      t.db,
      await reportOne(t.db, { title: "Stylist photo missing" }),
      [
        [{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN],
        [{ type: "start_analysis" }, T1],
        [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
        [{ type: "deploy_uat_ok", releaseId: 1 }, T1],
        [{ type: "approve_prod" }, ADMIN],
      ],
      at("12:00"),
    );
  }

  it("T2 lists every item, skips on failures; a second admin's /approve_prod counts; fixed, the next T2 posts the passed list and deploys", async () => {
    const s = scripts();
    s.state("tests", "fail");
    s.state("audit", "0 1");
    s.state("budget", "120 100");
    writeFileSync(join(s.src, "config.ts"), 'export const key = "AKIAABCDEFGHIJKLMNOP";\n');
    const json = {
      checklist: s.checklist({ monitoring: { http: `${monitoring.url}/-/ready` }, approvals: { prod: 2 } }),
    };
    const setup = incidentSetup();
    setup.smoke.pass();
    const config = (env: Record<string, string>) =>
      incidentConfig(setup, { system: { ...loadGates(json, env) }, config: { configDir: GATES } });
    const tb = await incidentBot(t.db, config({ SMTP_PASSWORD: "hunter2" }));
    await setVersions(t.db, { uat: "2099.11.23-1", prod: "2099.11.20-1" });
    await oncall(DAY);
    const bug = await approvedOnce();

    const skipped = await tb.window("t2");
    expect(skipped?.status).toBe("skipped");
    expect(setup.deploy.calls()).toEqual([]);
    expect((await tb.groupTexts()).at(-1)!.split("\n")).toEqual([
      "⏸️ T2 視窗已跳過（2099-11-24 22:00）",
      "原因:部署前檢查未通過",
      "✓ 備份：pg_dump ok: crm.sql",
      "✓ 監控：HTTP 200",
      "✓ 值班：Bob",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：PROD 可回滾至 2099.11.20-1",
      "✗ 測試全數通過：exit 1:3 failed, 39 passed",
      "✗ 資安稽核：有嚴重或高風險的發現：found: critical=0 high=1",
      `✗ 人工核准：#${bug.id} PROD 需要 2 位管理員核准，目前 1 位（Alice），回報者本人不計 — 請另一位管理員用 /approve_prod ${bug.id} 加簽`,
      "✗ 預算：超出預算：花費 120／上限 100",
      "✗ 機密與環境變數：exit 1:key found: config.ts;PROD 缺少環境變數：PAYMENT_KEY",
      "待處理的 bug 留在原狀態，下次視窗再處理。",
    ]);
    expect((await t.db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]!.status).toBe("pending_prod");

    // Alice already approved: her second /approve_prod does not count twice; Bob's does.
    tb.clock.set(at("10:00", NEXT_DAY));
    await tb.send(messageUpdate(`/approve_prod ${bug.id}`, alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(`#${bug.id} 目前為 ⏳ 待部署 PROD，無法批准。`);
    await tb.send(messageUpdate(`/approve_prod ${bug.id}`, bob, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      `✅ 已批准推 PROD：#${bug.id}\n⏳ 將於 今晚 22:00（11/25） 部署至 PROD。`,
    );
    const trail = await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, bug.id)).orderBy(bugEvents.id);
    expect(trail.filter((e) => e.event.startsWith("approve_prod")).map((e) => [e.event, e.actorName, e.note])).toEqual([
      ["approve_prod", "Alice", null],
      ["approve_prod_cosign", "Bob", "加簽核准（目前 2/2 位）"],
    ]);

    // Fixed: tests pass, no high finding, within budget, the key removed, PAYMENT_KEY exported (restart).
    s.state("tests", "ok");
    s.state("audit", "0 0");
    s.state("budget", "80 100");
    rmSync(join(s.src, "config.ts"));
    const tb2 = await incidentBot(t.db, config({ SMTP_PASSWORD: "hunter2", PAYMENT_KEY: "sk_live_x" }), tb.clock);
    await oncall(NEXT_DAY);
    const ran = await tb2.window("t2", NEXT_DAY);
    expect(ran?.status).toBe("done");
    expect(setup.deploy.calls().map((c) => c.env)).toEqual(["prod"]);
    const posted = (await tb2.groupTexts()).filter((x) => x.startsWith("📋"));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.split("\n")).toEqual([
      "📋 T2 視窗部署前檢查（2099-11-25 22:00）：通過，開始執行",
      "✓ 備份：pg_dump ok: crm.sql",
      "✓ 監控：HTTP 200",
      "✓ 值班：Bob",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：PROD 可回滾至 2099.11.20-1",
      "✓ 測試全數通過：42 passed, 0 failed",
      "✓ 資安稽核：found: critical=0 high=0",
      `✓ 人工核准：#${bug.id} PROD 已由 Alice、Bob 核准`,
      "✓ 預算：花費 80／上限 100",
      "✓ 機密與環境變數：no secrets found;PROD 的 2 個必要環境變數皆已設定",
    ]);
    expect((await t.db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]!.status).toBe("deployed_prod");
    expect(monitoring.hits.map((u) => u.pathname)).toEqual(["/-/ready", "/-/ready"]);
    await tb2.settle();
    expect(tb2.api.errors()).toEqual([]);
  });

  it("strict: not configured fails; an unwatched UAT fails monitoring; the linked repo's commit status is the tests item", async () => {
    const setup = incidentSetup();
    const json = {
      checklist: { strict: true, backup: { command: [backupScript, mkdtempSync(join(tmpdir(), "ns-b-"))] } },
    };
    const config: Config = incidentConfig(setup, { system: loadGates(json), watch: { smoke: null } });
    const tb = await incidentBot(t.db, config);
    const asked: [string, string | null][] = [];
    let state: "failure" | "success" = "failure";
    const commitStatus: CommitStatusPort = async (system, sha) => {
      asked.push([system.id, sha]);
      return { state, sha: "abc1234def567", detail: "ci/test" };
    };
    Object.assign(tb.deps, { commitStatus });
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await oncall(DAY);
    await confirmedBug(t.db, { title: "Reminder SMS twice" });

    expect((await tb.window("t1"))?.status).toBe("skipped");
    expect((await tb.groupTexts()).at(-1)!.split("\n").slice(2, -1)).toEqual([
      "✓ 備份：pg_dump ok: crm.sql",
      "✗ 監控：UAT 未監控：部署後沒有健康檢查、煙霧測試或 Prometheus 可檢查",
      "✓ 值班：Bob",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：UAT 可回滾至 2099.11.20-1",
      "✗ 測試全數通過：GitHub 提交 abc1234：失敗（ci/test）",
      "✗ 資安稽核：未設定（嚴格模式：視為未通過）",
      "✗ 人工核准：未設定（嚴格模式：視為未通過）",
      "✗ 預算：未設定（嚴格模式：視為未通過）",
      "✗ 機密與環境變數：未設定（嚴格模式：視為未通過）",
    ]);
    expect(asked).toEqual([["crm", null]]);
    expect(setup.deploy.calls()).toEqual([]);

    // Not strict, watched, green: not configured shows ⚠️ 未設定 (never ✓) and the window runs.
    state = "success";
    const relaxed = incidentConfig(setup, {
      system: loadGates({ checklist: { ...json.checklist, strict: false } }),
    });
    const tb2 = await incidentBot(t.db, relaxed, tb.clock);
    Object.assign(tb2.deps, { commitStatus });
    await oncall(NEXT_DAY);
    setup.smoke.pass();
    expect((await tb2.window("t1", NEXT_DAY))?.status).toBe("done");
    const posted = (await tb2.groupTexts()).find((x) => x.startsWith("📋 T1"))!;
    expect(posted.split("\n").slice(1)).toEqual([
      "✓ 備份：pg_dump ok: crm.sql",
      "✓ 監控：部署後監控 UAT（煙霧測試）",
      "✓ 值班：Bob",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：UAT 可回滾至 2099.11.20-1",
      "✓ 測試全數通過：GitHub 提交 abc1234：通過（ci/test）",
      "⚠️ 資安稽核：未設定",
      "⚠️ 人工核准：未設定",
      "⚠️ 預算：未設定",
      "⚠️ 機密與環境變數：未設定",
    ]);
    expect(setup.deploy.calls().map((c) => c.env)).toEqual(["uat"]);
  });

  /** Alice runs /hotfix <id> in the group and answers the conversation. */
  async function hotfixFromChat(tb: IncidentBot, bugId: number, mode: "run" | "manual" = "run") {
    await tb.send(messageUpdate(`/hotfix ${bugId}`, alice, GROUP));
    await tb.send(messageUpdate("--- a/pay.ts\n+++ b/pay.ts\n+if (!card) return;", alice, GROUP));
    await tb.send(pressData(last(tb, "sendMessage", GROUP), `v1:hx:m:${mode}`, alice));
    await tb.settle();
  }

  it("a hotfix with a failing item waits for the second admin, whose approval overrides it (recorded and shown)", async () => {
    const s = scripts();
    s.state("audit", "1 0");
    const setup = incidentSetup();
    setup.smoke.pass();
    const gates = loadGates(
      { checklist: s.checklist({ approvals: { prod: 2 } }) },
      { PAYMENT_KEY: "x", SMTP_PASSWORD: "y" },
    );
    const tb = await incidentBot(t.db, incidentConfig(setup, { system: gates, config: { configDir: GATES } }));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.20-1" });
    await oncall(DAY);
    const bug = await reportOne(t.db, { severity: "critical", foundInEnv: "prod", title: "Checkout <500>" });

    await hotfixFromChat(tb, bug.id);
    expect(setup.deploy.calls()).toEqual([]);
    expect(tb.api.sentTo(GROUP).map((c) => c.payload.text)).toContainEqual(
      `⚠️ 部署前檢查未通過（資安稽核、人工核准）：#${bug.id} 的緊急修正需要另一位管理員核准才能略過，已發到群組，期限 2099-11-24 10:30。`,
    );
    const approval = tb.api.sentTo(GROUP).find((c) => buttonsOf(c.payload).some((b) => b.text === "✅ 核准緊急修正"))!;
    expect(approval.payload.text.split("\n")).toEqual([
      "⚠️ 部署前檢查未通過的緊急修正 — 需要第二位管理員核准略過",
      `Bug: #${bug.id} [critical] Checkout &lt;500&gt;`,
      "申請人：Alice",
      "方式：立即執行 PROD 部署",
      "期限：2099-11-24 10:30（逾時自動取消）",
      "",
      "部署前檢查：",
      "✓ 備份：pg_dump ok: crm.sql",
      "✓ 監控：部署後監控 PROD（煙霧測試）",
      "✓ 值班：Bob",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：PROD 可回滾至 2099.11.20-1",
      "✓ 測試全數通過：42 passed, 0 failed",
      "✗ 資安稽核：有嚴重或高風險的發現：found: critical=1 high=0",
      "✗ 人工核准：需要 2 位管理員：須由第二位管理員核准",
      "✓ 預算：花費 12.5／上限 100",
      "✓ 機密與環境變數：no secrets found;PROD 的 2 個必要環境變數皆已設定",
    ]);

    await tb.send(pressOn(approval, "✅ 核准緊急修正", alice));
    await tb.settle();
    expect(toasts(tb).at(-1)).toBe("不能核准自己的申請，需要另一位管理員");
    expect(setup.deploy.calls()).toEqual([]);

    await tb.send(pressOn(approval, "✅ 核准緊急修正", bob));
    await tb.settle();
    expect(setup.deploy.calls()).toHaveLength(1);
    expect((await t.db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]!.status).toBe("deployed_prod");
    const [request] = await t.db.select().from(hotfixRequests);
    expect(request).toMatchObject({ status: "done", approvedByName: "Bob", checklistFailed: ["資安稽核", "人工核准"] });
    const trail = await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, bug.id)).orderBy(bugEvents.id);
    expect(trail.map((e) => e.event)).toEqual(["report", "hotfix_requested", "checklist_override", "hotfix"]);
    expect(trail[1]!.note).toContain("部署前檢查未通過（資安稽核、人工核准），需要第二位管理員核准略過");
    expect(trail[2]).toMatchObject({
      actorName: "Bob",
      note: `申請 #${request!.id}：Bob 核准略過未通過的部署前檢查（資安稽核、人工核准）`,
    });
    const hotfixMessage = (await tb.groupTexts()).find((x) => x.startsWith("🚨 Emergency Hotfix"))!;
    expect(hotfixMessage.split("\n").at(-1)).toBe("⚠️ Bob 核准略過未通過的部署前檢查：資安稽核、人工核准");
    const edited = tb.api.of("editMessageText").find((c) => c.payload.text.includes("已於"))!;
    expect(edited.payload.text).toContain("⚠️ Bob 核准略過未通過的部署前檢查：資安稽核、人工核准");
    expect(tb.api.errors()).toEqual([]);
  });

  it("a record-only hotfix runs the checklist as a warning: recorded at once, the failure shown", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.20-1" });
    const bug = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });
    // No on-call tonight: the checklist fails its on-call item.
    await hotfixFromChat(tb, bug.id, "manual");
    expect(await t.db.select().from(hotfixRequests)).toMatchObject([{ status: "done", approvedById: null }]);
    expect((await t.db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]!.status).toBe("deployed_prod");
    const hotfixMessage = (await tb.groupTexts()).find((x) => x.startsWith("🚨 Emergency Hotfix"))!;
    expect(hotfixMessage.split("\n").at(-1)).toBe("⚠️ 部署前檢查未通過（僅提醒，已手動部署）：值班");
    const trail = await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, bug.id)).orderBy(bugEvents.id);
    expect(trail.map((e) => [e.event, e.note])).toContainEqual([
      "checklist_warning",
      "部署前檢查未通過（僅提醒）：值班",
    ]);
    expect(setup.deploy.calls()).toEqual([]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("Lunar New Year: only critical hotfixes, and only a CTO's approval deploys them", async () => {
    const LNY = "2099-01-21"; // the first day of the Lunar New Year in 2099
    const setup = incidentSetup();
    setup.smoke.pass();
    const freeze = { holidays: null, lunarNewYear: true, monthEnd: null };
    const withRoles = (roles: unknown) =>
      incidentConfig(setup, {
        system: { ...loadGates({ roles }), freeze },
        env: { ADMIN_IDS: "1001,1002,1003" },
      });
    const clockAt = at("10:00", LNY);
    const noCto = await incidentBot(t.db, withRoles(undefined), fakeClock(clockAt));
    await setVersions(t.db, { prod: "2099.01.20-1", uat: "2099.01.20-1" }, at("09:00", LNY));
    await setOncall(t.db, { systemId: "crm", day: LNY, userId: 1002, name: "Bob", setBy: "Bob" }, clockAt);
    const high = await reportOne(t.db, { severity: "high", foundInEnv: "prod" }, clockAt);
    const critical = await reportOne(
      t.db,
      { severity: "critical", foundInEnv: "prod", title: "Payments down" },
      clockAt,
    );

    await hotfixFromChat(noCto, high.id);
    expect(noCto.api.sentTo(GROUP).map((c) => c.payload.text)).toContain(
      `🧧 農曆新年封版期間只接受 critical 的緊急修正：#${high.id} 是 high，請等封版結束後走一般流程。`,
    );
    await hotfixFromChat(noCto, critical.id);
    // The critical bug's escalation (🚨 嚴重 bug…, delivered with the outbox) may come after the answer.
    const answers = noCto.api.sentTo(GROUP).map((c) => String(c.payload.text));
    expect(answers.filter((x) => !x.startsWith("🚨 嚴重 bug")).at(-1)).toContain("這個系統沒有設定 CTO");
    expect(await t.db.select().from(hotfixRequests)).toEqual([]);

    const tb = await incidentBot(t.db, withRoles({ cto: [dave.id], dba: [bob.id] }), noCto.clock);
    await hotfixFromChat(tb, critical.id);
    const approval = tb.api.sentTo(GROUP).find((c) => buttonsOf(c.payload).some((b) => b.text === "✅ 核准緊急修正"))!;
    expect(approval.payload.text).toContain("核准人：限 CTO（農曆新年封版）");
    expect(approval.payload.text).toContain("✗ 封版檢查：");

    // Bob is an admin but not a CTO: refused with an alert; Dave (CTO) deploys.
    await tb.send(pressOn(approval, "✅ 核准緊急修正", bob));
    await tb.settle();
    expect(toasts(tb).at(-1)).toBe("農曆新年封版期間只有 CTO 可以核准");
    expect(setup.deploy.calls()).toEqual([]);
    await tb.send(pressOn(approval, "✅ 核准緊急修正", dave));
    await tb.settle();
    expect(setup.deploy.calls()).toHaveLength(1);
    const [request] = await t.db.select().from(hotfixRequests);
    expect(request).toMatchObject({ status: "done", approverRole: "cto", approvedByName: "Dave" });
    expect((await t.db.select().from(bugs).where(eq(bugs.id, critical.id)))[0]!.status).toBe("deployed_prod");
    expect(tb.api.errors()).toEqual([]);
  });
});

describe("gate config", () => {
  it("refuses a budget that is not a command and unknown role names; reads requiredEnv at load", () => {
    const ctx = {
      env: { SET_ONE: "x" },
      defaults: {
        timezone: "Asia/Taipei",
        windows: { t1: "20:00", t2: "22:00", graceMinutes: 30 },
        prometheusUrl: null,
      },
      base: GATES,
      withheld: [],
    };
    const { checklist, roles } = gateSchemas(ctx);
    const bad = checklist.safeParse({ budget: { http: "https://billing.example.com/x" } });
    expect(bad.error?.issues.map((i) => i.message).join("\n")).toContain("expected a command");
    expect(roles.safeParse({ ceo: [1] }).success).toBe(false);
    expect(roles.safeParse({ cto: ["x"] }).success).toBe(false);
    const ok = checklist.parse({ secrets: { requiredEnv: { prod: ["SET_ONE", "NOT_SET"] } }, approvals: { prod: 2 } });
    expect(ok.secrets.missingEnv).toEqual({ uat: [], prod: ["NOT_SET"] });
    expect(ok.approvals).toEqual({ uat: null, prod: 2 });
    expect(checklist.parse(undefined).strict).toBe(false);
  });
});
