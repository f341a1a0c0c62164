// The post-deploy watch after a window's PROD release, on a fake clock with a real smoke script:
// a failing smoke rolls back automatically once; never a second automatic rollback in a row.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, deployments } from "../../drizzle/schema.js";
import { addDays } from "../../src/core/windows.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { bob } from "../support/telegram.js";
import { pressOn } from "../telegram/helpers.js";
import { confirmedBug, onCall, outboxRows } from "../windows/support.js";
import { DAY, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("post-deploy watch on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  async function prodRelease(opts: Parameters<typeof incidentConfig>[1] = {}) {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup, opts));
    await setVersions(t.db, { uat: "2026.11.20-1", prod: "2026.11.20-1" });
    await onCall(t.db);
    const bug = await confirmedBug(t.db, { flow: "flow2", title: "Coupon applied twice" });
    await tb.window("t1");
    return { setup, tb, bug };
  }

  const rollbacks = async () =>
    (await t.db.select().from(deployments).orderBy(deployments.id)).filter((d) => d.kind === "rollback");

  it("a smoke failure rolls back automatically once; the rolled-back version failing too → alert, no second rollback", async () => {
    const { setup, tb, bug } = await prodRelease();
    setup.smoke.fail("fail: POST /checkout 500");

    await tb.window("t2");

    expect(setup.rollback.calls()).toHaveLength(1);
    expect(setup.rollback.calls()[0]).toMatchObject({ env: "prod", targetVersion: "2026.11.20-1" });
    expect(await rollbacks()).toMatchObject([{ status: "succeeded", actorName: "system:auto-rollback" }]);
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after).toMatchObject({ status: "pending_prod", held: true });

    const texts = await tb.groupTexts();
    expect(texts.find((x) => x.startsWith("🚨 PROD 2026.11.24-1 部署後檢查失敗"))!.split("\n")).toEqual([
      "🚨 PROD 2026.11.24-1 部署後檢查失敗：",
      "✗ smoke 測試：exit 1:fail: POST /checkout 500",
      "→ 依設定自動回滾。",
    ]);
    expect(texts.find((x) => x.startsWith("⚠️ Rollback 執行"))!.split("\n")).toEqual([
      "⚠️ Rollback 執行 — PROD",
      "原因:smoke 測試：exit 1:fail: POST /checkout 500",
      "回滾至:2026.11.20-1",
      "時間:2026-11-24 22:01",
      "執行人:系統自動回滾",
      "狀態:已回滾,正在監控",
      `下一步:調查原因並修正;#${bug.id} 已退回並暫停，修正後請按「重新排入」`,
    ]);
    expect(texts.at(-1)!.split("\n")).toEqual([
      "🚨 回滾後仍不穩定 — PROD 2026.11.20-1",
      "✗ smoke 測試：exit 1:fail: POST /checkout 500",
      "不再自動回滾，請升級處理（值班：Alice）。",
    ]);

    // Next night the re-queued bug goes out again and fails again: one automatic rollback in a row is
    // the limit, so this time the group is alerted with a 立即回滾 button instead.
    await tb.settle();
    const template = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("⚠️ Rollback 執行"))!;
    await tb.send(pressOn(template, `重新排入 #${bug.id}`, bob));
    await tb.window("t2", addDays(DAY, 1));
    expect(setup.rollback.calls()).toHaveLength(1);
    const alert = (await outboxRows(t.db))
      .filter((r) => r.text.startsWith("🚨 PROD 2026.11.25-1 部署後檢查失敗"))
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
    expect(setup.rollback.calls()[1]).toMatchObject({ targetVersion: "2026.11.20-1" });
    expect((await rollbacks()).map((d) => d.actorName)).toEqual(["system:auto-rollback", "Bob"]);
    expect((await tb.groupTexts()).at(-1)).toBe("✅ 回滾後檢查 — PROD 2026.11.20-1：穩定");
    expect(tb.api.errors()).toEqual([]);
  });

  it("a healthy watch edits one progress message each round and stands down with a summary", async () => {
    const { setup, tb } = await prodRelease();
    setup.smoke.pass();
    await tb.window("t2");
    await tb.settle();

    expect(setup.rollback.calls()).toEqual([]);
    const rows = await outboxRows(t.db);
    const progress = rows.find((r) => r.text.startsWith("🔭 PROD"))!;
    expect(progress.text).toBe("🔭 PROD 2026.11.24-1 部署後監控 · 第 0/3 分鐘 · 開始");
    expect(rows.filter((r) => r.editsOutboxId === progress.id).map((r) => r.text)).toEqual([
      "🔭 PROD 2026.11.24-1 部署後監控 · 第 1/3 分鐘 · 檢查正常",
      "🔭 PROD 2026.11.24-1 部署後監控 · 第 2/3 分鐘 · 檢查正常",
      "🔭 PROD 2026.11.24-1 部署後監控 · 第 3/3 分鐘 · 檢查正常",
    ]);
    expect((await tb.groupTexts()).at(-1)).toBe("✅ PROD 2026.11.24-1 監控 3 分鐘結束：3 輪檢查全部正常，解除監控。");
    expect(tb.api.of("editMessageText").filter((c) => c.payload.text.startsWith("🔭"))).toHaveLength(3);
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
});
