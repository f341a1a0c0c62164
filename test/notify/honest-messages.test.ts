// Every message is true (issue 9 §5): what the group is told matches what happened — partial
// approvals, hotfix follow-ups, cherry-picks, the bug card after a hotfix, "deploying" toasts and
// /run with nothing to do. Driven through updates (strict fake Bot API) and window firings.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import { groupCardDraft } from "../../src/adapters/telegram/cards.js";
import { settleManualRuns } from "../../src/adapters/telegram/features/run-window.js";
import { enqueue } from "../../src/app/outbox.js";
import { type IncidentBot, incidentBot, incidentConfig, incidentSetup, setVersions } from "../incidents/support.js";
import { fakeClock, startTestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, bob, buttonsOf, messageUpdate } from "../support/telegram.js";
import { last, messageState, pressData, pressOn, toasts } from "../telegram/helpers.js";
import { at, confirmedBug, onCall, outboxRows, pipelineConfig, recorder } from "../windows/support.js";

const DAY = "2099-03-10"; // far from today: nothing here depends on the real date
const NEXT = "2099-03-11";

describe.each(testBackends())("honest messages on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  async function bot() {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup), fakeClock(at("10:00", DAY)));
    await onCall(t.db, DAY);
    return { setup, tb };
  }

  /** The bot's messages left in the group, each as it reads now (issue 17: a progress line is
   * edited into its release's template, a watch edits one message from start to summary). */
  const groupStates = (tb: IncidentBot) =>
    tb.api.botMessagesLeft(GROUP).map((m) => messageState(tb, GROUP, m.messageId));
  /** The group message (as it reads now) whose text contains `marker`. */
  const sentWith = (tb: IncidentBot, marker: string) =>
    groupStates(tb).findLast((c) => String(c.payload.text).includes(marker))!;
  const groupTexts = (tb: IncidentBot) => groupStates(tb).map((c) => String(c.payload.text));

  it("a partial approval does not claim UAT and PROD are aligned; the full release does", async () => {
    const { tb } = await bot();
    const one = await confirmedBug(t.db, { title: "Login button" });
    const two = await confirmedBug(t.db, { title: "Logout link" });
    await tb.window("t1", DAY);
    await tb.settle();
    const uat = sentWith(tb, "Flow 1 已部署 UAT");
    expect(uat.payload.text).toContain("📦 Release: 2099.03.10-1");

    // Only #one is approved; T2 deploys it alone, so PROD gets a new version and UAT keeps its own.
    await tb.send(pressOn(uat, `批准推 PROD #${one.id}`, alice));
    await tb.window("t2", DAY);
    await tb.settle();
    const texts = groupTexts(tb);
    const partial = texts.find((x) => x.startsWith("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD"))!;
    expect(partial).not.toContain("版本已對齊");
    expect(partial.split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      `• #${one.id} [medium] Login button`,
      "✅ 以上修正已上 PROD，PROD 現為 2099.03.10-2。",
      "⚠️ UAT 與 PROD 版本未對齊：UAT 仍為 2099.03.10-1（UAT 上還有未推到 PROD 的內容）。",
      "👉 之後的 Flow 1 bug 需先讓 UAT 與 PROD 版本對齊，或改走 Flow 2。", // issue 10: real versions
    ]);

    // The next day a new UAT release carrying only #two is approved whole: the spec's lines, byte-exact.
    await t.db.update(bugs).set({ status: "confirmed" }).where(eq(bugs.id, two.id));
    await tb.window("t1", NEXT);
    await tb.settle();
    await tb.send(pressOn(sentWith(tb, "Flow 1 已部署 UAT"), `批准推 PROD #${two.id}`, alice));
    await tb.window("t2", NEXT);
    await tb.settle();
    const full = groupTexts(tb).findLast((x) => x.startsWith("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD"));
    expect(full!.split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      `• #${two.id} [medium] Logout link`,
      "✅ Flow 1 完成。UAT 與 PROD 版本已對齊。",
    ]);
    expect(tb.api.errors()).toEqual([]);
  });

  /** Alice runs /hotfix <id> in the group and answers the conversation. */
  async function hotfixFromChat(tb: IncidentBot, bugId: number, mode: "run" | "manual" = "run") {
    await tb.send(messageUpdate(`/hotfix ${bugId}`, alice, GROUP));
    await tb.send(messageUpdate("revert abc123", alice, GROUP));
    await tb.send(pressData(last(tb, "sendMessage", GROUP), `v1:hx:m:${mode}`, alice));
    await tb.settle();
  }

  it("a hotfix while UAT is behind PROD says so （需要跟進：否）， and the bug's card shows the hotfix without 確認/拒絕", async () => {
    const { tb } = await bot();
    await setVersions(t.db, { uat: "2099.03.08-1", prod: "2099.03.09-1" }, at("09:00", DAY));
    const bug = await reportOne(t.db, { title: "Payments down", severity: "critical", foundInEnv: "prod" });
    await enqueue(t.db, groupCardDraft(tb.deps, bug), tb.clock());
    await tb.settle();
    const card = sentWith(tb, "Payments down");
    expect(buttonsOf(card.payload).map((b) => b.text)).toEqual(["✅ 確認", "🚫 拒絕"]);

    await hotfixFromChat(tb, bug.id);

    // the last group message may be the post-deploy watch (issue 12): the hotfix's template is before it
    const template = groupTexts(tb)
      .findLast((x) => x.startsWith("🚨 Emergency Hotfix"))!
      .split("\n");
    expect(template[0]).toBe("🚨 Emergency Hotfix — PROD");
    expect(template.at(-1)).toBe(
      "需要跟進:否 — UAT（2099.03.08-1）落後 PROD（2099.03.09-1），不需 cherry-pick;UAT 下次更新到 PROD 的版本時會包含此修正",
    );
    const shown = messageState(tb, GROUP, card.result.message_id);
    expect(shown.payload.text).not.toContain("待確認");
    expect(shown.payload.text).toContain("狀態：🚀 已部署 PROD");
    expect(shown.payload.text).toContain("🚨 緊急修正已部署 PROD（2099.03.10-1）· Alice · 2099-03-10 10:00");
    expect(shown.payload.reply_markup).toEqual({ inline_keyboard: [] });
    expect(tb.api.errors()).toEqual([]);
  });

  it("a hotfix cherry-picked to UAT at T2 is announced as the hotfix's sync, not 「Flow 2 完成」", async () => {
    const { tb } = await bot();
    await setVersions(t.db, { uat: "2099.03.09-2", prod: "2099.03.09-1" }, at("09:00", DAY));
    const bug = await reportOne(t.db, { title: "Checkout crash", severity: "high", foundInEnv: "prod" });
    await hotfixFromChat(tb, bug.id);
    await tb.send(pressOn(sentWith(tb, "Emergency Hotfix"), "批准 Merge UAT", bob));
    expect((await t.db.select().from(bugs))[0]!.status).toBe("pending_uat_merge");

    await tb.window("t2", DAY);
    await tb.settle();
    const texts = groupTexts(tb);
    expect(texts.some((x) => x.includes("Flow 2 完成") || x.includes("Flow 2 全流程完成"))).toBe(false);
    expect(texts.find((x) => x.startsWith("✅ Emergency Hotfix"))!.split("\n")).toEqual([
      "✅ Emergency Hotfix 已同步至 UAT",
      `• #${bug.id} [high] Checkout crash`,
      "🍒 緊急修正已 cherry-pick 至 UAT（2099.03.10-2），UAT 與 PROD 都已包含此修正。",
    ]);
  });

  it("never says 「正在部署…到 PROD」 for a record-only hotfix or before a freeze's second approval", async () => {
    const { tb, setup } = await bot();
    const manual = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });
    await hotfixFromChat(tb, manual.id, "manual");
    // issue 17: a conversation is one message edited in place, so its edits are said too
    const said = () => [
      ...tb.api.sentTo(GROUP).map((c) => String(c.payload.text ?? "")),
      ...tb.api
        .of("editMessageText")
        .filter((c) => c.payload.chat_id === GROUP)
        .map((c) => String(c.payload.text ?? "")),
      ...toasts(tb).map((x) => x ?? ""),
    ];
    expect(said().filter((x) => x.includes("正在部署"))).toEqual([]);
    // the conversation's one message (issue 17) ends saying what happened: recorded, not deploying
    expect(said()).toContain(`✅ 已記錄 #${manual.id} 的手動部署，已通知群組。`);

    // During a freeze: nothing is deploying until a second admin approves; then it is.
    await tb.send(messageUpdate("/freeze on — 大促", alice, GROUP));
    const frozen = await reportOne(t.db, { severity: "critical", foundInEnv: "prod" });
    await hotfixFromChat(tb, frozen.id, "run");
    expect(said().filter((x) => x.includes("正在部署"))).toEqual([]);
    expect(setup.deploy.calls()).toEqual([]);
    const approval = tb.api.sentTo(GROUP).find((c) => buttonsOf(c.payload).some((b) => b.text === "✅ 核准緊急修正"))!;
    await tb.send(pressOn(approval, "✅ 核准緊急修正", bob));
    await tb.settle();
    expect(toasts(tb).at(-1)).toBe(`⏳ 正在部署 #${frozen.id} 的緊急修正到 PROD…`);

    // A record-only hotfix approved during the freeze says it is being recorded.
    const frozenManual = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });
    await hotfixFromChat(tb, frozenManual.id, "manual");
    const second = tb.api
      .sentTo(GROUP)
      .findLast((c) => buttonsOf(c.payload).some((b) => b.text === "✅ 核准緊急修正"))!;
    await tb.send(pressOn(second, "✅ 核准緊急修正", bob));
    await tb.settle();
    expect(toasts(tb).at(-1)).toBe(`⏳ 正在記錄 #${frozenManual.id} 的手動部署…`);
  });

  it("/run t1 with nothing to do posts 「無待處理 bug」 to the group", async () => {
    const tb = await startTestBot(t.db, {
      config: pipelineConfig({ uat: recorder().target() }),
      clock: fakeClock(at("15:00", DAY)),
    });
    await tb.send(messageUpdate("/run t1", alice, GROUP));
    await settleManualRuns();
    const rows = (await outboxRows(t.db)).filter((r) => r.chatId === GROUP);
    expect(rows.map((r) => r.text)).toEqual(["ℹ️ 手動執行 T1（Barber CRM）完成：無待處理 bug。"]);
  });
});
