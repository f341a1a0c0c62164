// /hotfix end to end through updates: the conversation, the deploy through a real script, the
// Emergency Hotfix template, the UAT merge at the next T2, and two-person approval during a freeze.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, bugs, deployments, hotfixRequests } from "../../drizzle/schema.js";
import { sweepIncidents } from "../../src/app/freeze-admin.js";
import { setOncall } from "../../src/app/oncall.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../src/core/callback-data.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, bob, buttonsOf, carol, messageUpdate } from "../support/telegram.js";
import { last, pressData, pressOn, toasts } from "../telegram/helpers.js";
import { outboxRows } from "../windows/support.js";
import { at, DAY, type IncidentBot, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("/hotfix on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  const tonightsOncall = () =>
    setOncall(t.db, { systemId: "crm", day: DAY, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00"));

  /** Alice runs /hotfix <id> in the group and answers the conversation. */
  async function hotfixFromChat(tb: IncidentBot, bugId: number, mode: "run" | "manual" = "run") {
    await tonightsOncall(); // the pre-deploy checklist's on-call item
    await tb.send(messageUpdate(`/hotfix ${bugId}`, alice, GROUP));
    await tb.send(messageUpdate("--- a/pay.ts\n+++ b/pay.ts\n+if (!card) return;", alice, GROUP));
    await tb.send(pressData(last(tb, "sendMessage", GROUP), `v1:hx:m:${mode}`, alice));
    await tb.settle();
  }

  it("deploys a critical bug to PROD with UAT ahead; the follow-up button queues the UAT merge for the next T2", async () => {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.23-2" });
    const bug = await reportOne(t.db, {
      title: "Checkout <crashes> & burns",
      severity: "critical",
      foundInEnv: "prod",
    });

    await hotfixFromChat(tb, bug.id);

    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after).toMatchObject({ status: "deployed_prod", fixFlow: "hotfix", uatAhead: true });
    expect(after!.aiFixDiff).toContain("+if (!card) return;");
    expect(setup.deploy.calls()).toMatchObject([{ env: "prod", bugIds: String(bug.id), version: "2099.11.24-1" }]);
    const [release] = await t.db.select().from(deployments);
    expect(release).toMatchObject({ kind: "hotfix", status: "succeeded", env: "prod", actorName: "Alice" });

    const texts = await tb.groupTexts();
    // issue 12: the hotfix's PROD deploy gets the post-deploy watch too (one message, round 0 at once).
    expect(texts.at(-1)).toBe("🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 開始");
    const watch = (await outboxRows(t.db)).filter(
      (r) => r.method === "editMessageText" && /PROD 2099\.11\.24-1/.test(r.text),
    );
    expect(watch.map((r) => r.text)[0]).toBe("🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 檢查正常");
    expect(watch.at(-1)!.text).toBe("✅ PROD 2099.11.24-1 監控 3 分鐘結束：4 輪檢查全部正常，解除監控。");
    expect(texts.find((x) => x.startsWith("🚨 Emergency Hotfix"))!.split("\n")).toEqual([
      "🚨 Emergency Hotfix — PROD",
      `Bug: #${bug.id} [critical] Checkout &lt;crashes&gt; &amp; burns`,
      "時間:2099-11-24 10:00",
      "部署人:Alice",
      "狀態:已部署,請立即驗收",
      "需要跟進:是 — UAT 領先 PROD，需 cherry-pick 至 UAT：點「批准 Merge UAT」排入下次 T2",
    ]);
    expect(tb.api.errors()).toEqual([]);

    // 「批准 Merge UAT」 under the template (the chat feature's approval) → pending_uat_merge …
    const template = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("🚨 Emergency Hotfix"))!;
    await tb.send(pressOn(template, "批准 Merge UAT", bob));
    const [queued] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(queued!.status).toBe("pending_uat_merge");
    // … which tonight's T2 merges into UAT.
    await setOncall(t.db, { systemId: "crm", day: DAY, userId: 1001, name: "Alice", setBy: "Alice" }, at("10:00"));
    const run = await tb.window("t2");
    expect(run?.status).toBe("done");
    const [merged] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(merged!.status).toBe("uat_merged");
    expect(setup.deploy.calls().map((c) => c.env)).toEqual(["prod", "uat"]);
  });

  it("says UAT must be updated too when UAT and PROD are on the same version (no merge button); manual mode records", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.20-1" });
    const bug = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });

    await hotfixFromChat(tb, bug.id, "manual");

    expect(setup.deploy.calls()).toEqual([]); // deployed by hand: nothing run
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after).toMatchObject({ status: "deployed_prod", uatAhead: false });
    const template = await outboxRows(t.db).then((rows) => rows.findLast((r) => r.text.startsWith("🚨 Emergency"))!);
    expect(template.text.split("\n").at(-1)).toBe("需要跟進:否 — UAT 與 PROD 同版本，請一併更新 UAT");
    expect(template.markup).toBeUndefined();
  });

  it("during a freeze needs a second admin: own approval refused, the second admin's deploys once", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.20-1" });
    const bug = await reportOne(t.db, { severity: "critical", foundInEnv: "prod" });
    await tb.send(messageUpdate("/freeze on — 雙十一大促", alice, GROUP));

    await hotfixFromChat(tb, bug.id);
    expect(setup.deploy.calls()).toEqual([]);
    expect(tb.api.sentTo(GROUP).map((c) => c.payload.text)).toContainEqual(
      `🧊 目前封版（雙十一大促）：#${bug.id} 的緊急修正需要另一位管理員核准，已發到群組，期限 2099-11-24 10:30。`,
    );
    const approval = tb.api.sentTo(GROUP).find((c) => buttonsOf(c.payload).some((b) => b.text === "✅ 核准緊急修正"))!;
    expect(approval.payload.text).toContain("封版原因：雙十一大促");

    await tb.send(pressOn(approval, "✅ 核准緊急修正", alice));
    await tb.settle();
    expect(toasts(tb).at(-1)).toBe("不能核准自己的申請，需要另一位管理員");
    expect(setup.deploy.calls()).toEqual([]);

    // Bob presses twice (the second press on the same message while the first is in flight).
    await Promise.all([
      tb.send(pressOn(approval, "✅ 核准緊急修正", bob)),
      tb.send(pressOn(approval, "✅ 核准緊急修正", bob)),
    ]);
    await tb.settle();
    expect(setup.deploy.calls()).toHaveLength(1);
    expect(toasts(tb).slice(-2).sort()).toEqual([`⏳ 正在部署 #${bug.id} 的緊急修正到 PROD…`, "此申請已處理"].sort());
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after!.status).toBe("deployed_prod");
    const [request] = await t.db.select().from(hotfixRequests);
    expect(request).toMatchObject({ status: "done", requestedByName: "Alice", approvedByName: "Bob" });
    const trail = await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, bug.id)).orderBy(bugEvents.id);
    expect(trail.map((e) => e.event)).toEqual(["report", "hotfix_requested", "checklist_override", "hotfix"]);
    expect(trail.at(-1)!.note).toContain("申請人 Alice，核准人 Bob");
    // The freeze fails the checklist's freeze item: Bob's approval overrides it, recorded and shown.
    expect(trail.at(-2)!.note).toBe("申請 #1：Bob 核准略過未通過的部署前檢查（封版檢查）");
    // The post-deploy watch's one message (issue 12) comes after it.
    const texts = await tb.groupTexts();
    expect(texts.at(-1)).toBe("🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 開始");
    // issue 13: the hotfix's release notes follow its template.
    const notices = texts.filter((x) => !x.startsWith("🔭 PROD"));
    expect(notices.at(-1)).toMatch(/^📝 <b>Release notes — 2099\.11\.24-1<\/b>（PROD）/);
    expect(notices.at(-2)).toContain("⚠️ Bob 核准略過未通過的部署前檢查：封版檢查");
    // The approval message was edited to show who approved (its button removed).
    const edited = tb.api.of("editMessageText").findLast((c) => !/^(🔭|✅) PROD/.test(String(c.payload.text)))!;
    expect(edited.payload.text).toContain("✅ Bob 已於 2099-11-24 10:00 核准");
    expect(edited.payload.reply_markup).toEqual({ inline_keyboard: [] });
    expect(tb.api.errors()).toEqual([]);
  });

  it("during a freeze with no approval before the deadline: nothing deployed, the group is told", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup, { config: { hotfixApprovalMinutes: 15 } }));
    const bug = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });
    await tb.send(messageUpdate("/freeze on", alice, GROUP));
    await hotfixFromChat(tb, bug.id);
    const [request] = await t.db.select().from(hotfixRequests);

    tb.clock.advance(16 * 60_000);
    await sweepIncidents(tb.deps);
    await tb.send(
      pressData(
        last(tb, "sendMessage", GROUP),
        encodeCallback({ action: CALLBACK_ACTIONS.hotfixApprove, id: request!.id, version: 0 }),
        bob,
      ),
    );
    await tb.settle();

    expect(toasts(tb).at(-1)).toBe("此申請已逾時");
    expect(setup.deploy.calls()).toEqual([]);
    expect(await t.db.select().from(deployments)).toEqual([]);
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after!.status).toBe("submitted");
    const texts = await tb.groupTexts();
    expect(texts.filter((x) => x.includes("沒有第二位管理員核准"))).toEqual([
      `⌛ 緊急修正申請 #${request!.id}（bug #${bug.id}）在期限內沒有第二位管理員核准，已取消，未部署任何內容。`,
    ]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("/hotfix without an id files a new bug from the conversation (title, severity) and deploys it", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await tonightsOncall();
    await tb.send(messageUpdate("/hotfix", alice, alice.id));
    await tb.send(messageUpdate("Payments down after <deploy>", alice, alice.id));
    await tb.send(pressData(last(tb, "sendMessage", alice.id), "v1:hx:s:critical", alice));
    await tb.send(messageUpdate("revert commit abc123", alice, alice.id));
    await tb.send(pressData(last(tb, "sendMessage", alice.id), "v1:hx:m:run", alice));
    await tb.settle();

    const [bug] = await t.db.select().from(bugs);
    expect(bug).toMatchObject({
      title: "Payments down after <deploy>",
      severity: "critical",
      status: "deployed_prod",
      aiFixDiff: "revert commit abc123",
      reporterName: "Alice",
    });
    expect(setup.deploy.calls()).toHaveLength(1);
    expect(tb.api.sentTo(alice.id).map((c) => c.payload.text)).toContain(
      `✅ #${bug!.id} 已部署到 PROD（2099.11.24-1），已通知群組。`,
    );
    expect((await tb.groupTexts()).findLast((x) => x.startsWith("🚨 Emergency"))).toContain(
      "Bug: #1 [critical] Payments down after &lt;deploy&gt;",
    );
    expect(tb.api.errors()).toEqual([]);
  });

  it("refuses a non-admin and low-severity bugs", async () => {
    const tb = await incidentBot(t.db, incidentConfig(incidentSetup()));
    const low = await reportOne(t.db, { severity: "low" });
    await tb.send(messageUpdate(`/hotfix ${low.id}`, alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("低/中嚴重度請走一般流程");
    await tb.send(messageUpdate(`/hotfix ${low.id}`, carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
  });
});
