// The post-deploy watch after a window's PROD release, on a fake clock with a real smoke script:
// the smoke test runs at once (round 0) and a failure is caught there; a failing smoke rolls back
// automatically once; never a second automatic rollback in a row; the post-rollback watch decides
// stable (incident history, 排程正式修正, follow-up bug) or unstable (escalation). One watch message
// per release, edited from start to summary; CPU counts only when sustained; nothing to check → 未監控.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, deployments, incidents, outbox } from "../../drizzle/schema.js";
import { addDays } from "../../src/core/windows.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob } from "../support/telegram.js";
import { pressOn } from "../telegram/helpers.js";
import { confirmedBug, onCall, outboxRows } from "../windows/support.js";
import { at, DAY, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("post-deploy watch on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  async function prodRelease(opts: Parameters<typeof incidentConfig>[1] = {}) {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup, opts));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    const bug = await confirmedBug(t.db, { flow: "flow2", title: "Coupon applied twice" });
    await tb.window("t1");
    return { setup, tb, bug };
  }

  const rollbacks = async () =>
    (await t.db.select().from(deployments).orderBy(deployments.id)).filter((d) => d.kind === "rollback");

  it("a smoke failure is caught in round 0 and rolls back automatically once; the rolled-back version failing too → escalation, no second rollback", async () => {
    const { setup, tb, bug } = await prodRelease();
    setup.smoke.fail("fail: POST /checkout 500");

    await tb.window("t2");
    // Round 0: the smoke test ran right after the deploy — the clock never moved to a first interval.
    const [incident] = await t.db.select().from(incidents);
    expect(incident).toMatchObject({
      env: "prod",
      problemKind: "functional",
      deployedVersion: "2099.11.24-1",
      targetVersion: "2099.11.20-1",
      actorName: "system:auto-rollback",
      rollbackStatus: "succeeded",
      watchResult: "unstable",
      bugIds: [bug.id],
    });
    expect(incident!.createdAt).toEqual(at("22:00"));

    expect(setup.rollback.calls()).toHaveLength(1);
    expect(setup.rollback.calls()[0]).toMatchObject({ env: "prod", targetVersion: "2099.11.20-1" });
    expect(await rollbacks()).toMatchObject([{ status: "succeeded", actorName: "system:auto-rollback" }]);
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after).toMatchObject({ status: "pending_prod", held: true });

    const texts = await tb.groupTexts();
    expect(texts.find((x) => x.startsWith("🚨 PROD 2099.11.24-1 部署後檢查失敗"))!.split("\n")).toEqual([
      "🚨 PROD 2099.11.24-1 部署後檢查失敗：",
      "✗ smoke 測試：exit 1:fail: POST /checkout 500",
      "→ 依設定自動回滾。",
    ]);
    expect(texts.find((x) => x.startsWith("⚠️ Rollback 執行"))!.split("\n")).toEqual([
      "⚠️ Rollback 執行 — PROD",
      "原因:smoke 測試：exit 1:fail: POST /checkout 500",
      "回滾至:2099.11.20-1",
      "時間:2099-11-24 22:00",
      "執行人:系統自動回滾",
      "狀態:已回滾,正在監控",
      `下一步:調查原因並修正;#${bug.id} 已退回並暫停，修正後請按「重新排入」`,
    ]);
    // The post-rollback watch's round 0 fails too: escalate, mentioning the on-call and the admins.
    expect(texts.at(-1)!.split("\n")).toEqual([
      `🚨 回滾後仍不穩定 — PROD 2099.11.20-1（事故 #${incident!.id}）`,
      "✗ smoke 測試：exit 1:fail: POST /checkout 500",
      "不再自動回滾，請立即升級處理。",
      '值班：<a href="tg://user?id=1001">Alice</a>',
      '管理員：<a href="tg://user?id=1001">1001</a>、<a href="tg://user?id=1002">1002</a>',
    ]);
    // One post-deploy watch message: its progress was edited to the failure, no second message.
    const rows = await outboxRows(t.db);
    const progress = rows.filter((r) => r.text.startsWith("🔭 PROD 2099.11.24-1"));
    expect(progress.map((r) => [r.method, r.text])).toEqual([
      ["sendMessage", "🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 開始"],
      ["editMessageText", "🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 發現問題，監控結束（見下一則）"],
    ]);

    // Next night the re-queued bug goes out again and fails again: one automatic rollback in a row is
    // the limit, so this time the group is alerted with a 立即回滾 button instead.
    await tb.settle();
    const template = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("⚠️ Rollback 執行"))!;
    await tb.send(pressOn(template, `重新排入 #${bug.id}`, bob));
    await tb.window("t2", addDays(DAY, 1));
    expect(setup.rollback.calls()).toHaveLength(1);
    const alert = (await outboxRows(t.db))
      .filter((r) => r.text.startsWith("🚨 PROD 2099.11.25-1 部署後檢查失敗"))
      .at(-1)!;
    expect(alert.text.split("\n").at(-1)).toBe("→ 已連續自動回滾 1 次，不再自動回滾，請人工處理。");
    expect(alert.markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(["立即回滾"]);

    // An admin decides: 立即回滾 rolls back that release (once, however often it is pressed).
    await tb.settle();
    const sent = tb.api.sentTo(GROUP).find((c) => c.payload.text === alert.text)!;
    setup.smoke.pass();
    await Promise.all([tb.send(pressOn(sent, "立即回滾", bob)), tb.send(pressOn(sent, "立即回滾", bob))]);
    await tb.settle();
    expect(setup.rollback.calls()).toHaveLength(2);
    expect(setup.rollback.calls()[1]).toMatchObject({ targetVersion: "2099.11.20-1" });
    expect((await rollbacks()).map((d) => d.actorName)).toEqual(["system:auto-rollback", "Bob"]);
    // The post-rollback watch (3 minutes here) stands: its one message ends with 排程正式修正 and a button.
    const second = (await t.db.select().from(incidents).orderBy(incidents.id))[1]!;
    expect(second).toMatchObject({ actorName: "Bob", watchResult: "stable", problemKind: "functional" });
    const stableRow = (await outboxRows(t.db)).filter((r) => r.text.startsWith("✅ 回滾後監控結束")).at(-1)!;
    expect(stableRow.method).toBe("editMessageText");
    expect(stableRow.text.split("\n")).toEqual([
      "✅ 回滾後監控結束 — PROD 2099.11.20-1：穩定（10 分鐘，11 輪檢查正常）",
      `已記錄於事故 #${second.id}（/incident ${second.id}）。`,
      "下一步：排程正式修正 — 按下方按鈕建立後續修正 bug，排入一般流程。",
    ]);
    await tb.settle();
    const edited = tb.api
      .of("editMessageText")
      .filter((c) => String(c.payload.text).startsWith("✅ 回滾後監控結束"))
      .at(-1)!;
    const follow = edited.payload.reply_markup.inline_keyboard.flat()[0];
    expect(follow.text).toBe("🐞 建立後續修正 bug");
    const message = { ...edited, payload: { ...edited.payload, chat_id: GROUP } };
    await Promise.all([
      tb.send(pressOn(message, "🐞 建立後續修正 bug", bob)),
      tb.send(pressOn(message, "🐞 建立後續修正 bug", alice)),
    ]);
    const [after2] = await t.db.select().from(incidents).where(eq(incidents.id, second.id));
    const filed = await t.db.select().from(bugs).where(eq(bugs.id, after2!.followUpBugId!));
    expect(filed).toMatchObject([
      {
        status: "submitted",
        foundInEnv: "prod",

        title: `事故 #${second.id} 後續修正：部署後監控失敗，Bob 決定回滾`,
      },
    ]);
    expect((await t.db.select().from(bugs)).length).toBe(2); // two presses, one bug
    expect(tb.api.errors()).toEqual([]);
  });

  it("a healthy watch checks at once (round 0), edits ONE message each round and ends it with the summary", async () => {
    const { setup, tb } = await prodRelease();
    setup.smoke.pass();
    await tb.window("t2");
    await tb.settle();

    expect(setup.rollback.calls()).toEqual([]);
    const rows = await outboxRows(t.db);
    const progress = rows.find((r) => r.text.startsWith("🔭 PROD"))!;
    expect(progress.text).toBe("🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 開始");
    expect(rows.filter((r) => r.editsOutboxId === progress.id).map((r) => r.text)).toEqual([
      "🔭 PROD 2099.11.24-1 部署後監控 · 第 0/3 分鐘 · 檢查正常",
      "🔭 PROD 2099.11.24-1 部署後監控 · 第 1/3 分鐘 · 檢查正常",
      "🔭 PROD 2099.11.24-1 部署後監控 · 第 2/3 分鐘 · 檢查正常",
      "✅ PROD 2099.11.24-1 監控 3 分鐘結束：4 輪檢查全部正常，解除監控。",
    ]);
    // One watch message per release in the group: no summary of its own.
    expect((await tb.groupTexts()).filter((x) => x.includes("PROD 2099.11.24-1") && /監控/.test(x))).toHaveLength(1);
    const sent = tb.api.sentTo(GROUP).filter((m) => String(m.payload.text).startsWith("🔭 PROD"));
    expect(sent).toHaveLength(1);
    const edits = tb.api.of("editMessageText").filter((c) => /^(🔭|✅) PROD 2099\.11\.24-1/.test(c.payload.text));
    expect(edits).toHaveLength(4);
    expect(tb.api.errors()).toEqual([]);
  });

  it("policy ask: posts 立即回滾 and rolls back nothing by itself", async () => {
    const { setup, tb } = await prodRelease({ watch: { onFailure: "ask" } });
    setup.smoke.fail();
    await tb.window("t2");
    expect(setup.rollback.calls()).toEqual([]);
    const alert = (await outboxRows(t.db)).find((r) => r.text.startsWith("🚨 PROD"))!;
    expect(alert.text.split("\n").at(-1)).toBe("→ 需要管理員決定是否回滾。");
    expect(alert.markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(["立即回滾"]);
  });

  it("a watch with nothing to check says 未監控 loudly", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup, { watch: { smoke: null, prometheus: null } }));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    await confirmedBug(t.db, { flow: "flow1", title: "Receipt total wrong" }); // UAT at T1
    await confirmedBug(t.db, { flow: "flow2", title: "Coupon applied twice" }); // PROD at T2
    // Merged with the checklist (issue 12): an unwatched environment fails the monitoring item, so the
    // windows refuse to deploy blind and say why.
    await tb.window("t1");
    await tb.window("t2");
    expect(setup.deploy.calls()).toEqual([]); // nothing deployed blind, to UAT or (after it) PROD
    const skipped = (await tb.groupTexts()).filter((x) => /視窗已跳過/.test(x));
    expect(skipped.map((x) => x.split("\n")[0])).toEqual(["⏸️ T1 視窗已跳過（2099-11-24 20:00）"]);
    expect(skipped[0]).toContain("UAT 未監控：部署後沒有健康檢查、煙霧測試或 Prometheus 可檢查");

    // A deploy that gets past the checklist anyway (a hotfix whose failed item a second admin overrode)
    // still gets the watch, which says 未監控 loudly.
    const deployed = await t.db
      .insert(deployments)
      .values(
        (
          [
            ["uat", "2099.11.24-1"],
            ["prod", "2099.11.24-2"],
          ] as const
        ).map(([env, version]) => ({
          systemId: "crm",
          env,
          kind: "hotfix" as const,
          status: "succeeded" as const,
          version,
          previousVersion: "2099.11.20-1",
          actorName: "Alice",
          startedAt: at("22:30"),
        })),
      )
      .returning();
    for (const d of deployed) await tb.deps.afterDeploy!(d);
    const rows = (await t.db.select().from(outbox).orderBy(outbox.id)).filter((r) =>
      /^🚨 .*未監控/.test(String(r.payload.text)),
    );
    expect(rows.map((r) => String(r.payload.text).split("\n")[0])).toEqual([
      "🚨 UAT 2099.11.24-1：未監控",
      "🚨 PROD 2099.11.24-2：未監控",
    ]);
    expect(rows.every((r) => r.priority === 1)).toBe(true); // urgent: sent before routine rows
  });
});
