// issue 17: a quiet team group. Through the bot with the strict fake Bot API, counting the bot's
// messages LEFT in the group (sent minus deleted): one /report leaves only its card, whether the bot
// may delete answers there (one question message edited in place, answers deleted) or not (a deep
// link moves the questions to a private chat); cancelled and expired reports leave nothing; one bug
// through T1 and T2 leaves, per window, one message per release and one watch message.
import { beforeEach, describe, expect, it } from "vitest";
import { botHousekeeping } from "../../src/adapters/telegram/middleware.js";
import { getBug } from "../../src/app/bugs.js";
import { tick } from "../../src/app/windows/index.js";
import { quietText } from "../../src/i18n/index.js";
import { at, DAY, incidentBot, incidentConfig, incidentSetup } from "../incidents/support.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob, buttonsOf, carol, messageUpdate, type Person } from "../support/telegram.js";
import { onCall } from "../windows/support.js";
import { current, deliverOutbox, messageState, pressOn } from "./helpers.js";

const MINUTE = 60_000;

describe.each(testBackends())("a quiet group on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { clock: fakeClock("2099-03-02T04:00:00Z") });
  });

  /** A message typed now (by the bot's clock), as Telegram would date it. */
  const say = (text: string, from: Person, chatId: number) =>
    tb.send(messageUpdate(text, from, chatId, Math.floor(tb.clock().getTime() / 1000)));
  const left = () => tb.api.botMessagesLeft(GROUP);

  /** Answers the report's questions in `chatId` (the group, or the reporter's private chat). */
  async function answer(chatId: number, from: Person) {
    await say("Login button does nothing", from, chatId);
    await say("Tap login, nothing happens", from, chatId);
    await tb.send(pressOn(current(tb, chatId), "UAT", from));
    await tb.send(pressOn(current(tb, chatId), "不確定", from));
    await say("-", from, chatId);
    await tb.send(pressOn(current(tb, chatId), "📨 送出", from));
  }

  it("the bot may delete: one question message edited in place, answers deleted, the card is all that stays", async () => {
    await say("/report", carol, GROUP);
    await answer(GROUP, carol);
    const [card] = await deliverOutbox(tb);
    expect(await getBug(t.db, 1)).toMatchObject({ title: "Login button does nothing", status: "submitted" });

    expect(left().map((m) => m.messageId)).toEqual([card!.result.message_id]);
    expect(left()[0]!.text).toContain("#1 Login button does nothing");
    // one question message: sent once, then only edited
    const sent = tb.api.sentTo(GROUP);
    expect(sent).toHaveLength(2); // the question message and the card
    expect(tb.api.of("editMessageText").filter((c) => c.payload.chat_id === GROUP).length).toBeGreaterThan(3);
    // the reporter's /report and typed answers are gone too
    const typed = tb.api.of("deleteMessage").filter((c) => c.payload.message_id !== sent[0]!.result.message_id);
    expect(typed).toHaveLength(4); // /report, title, description, "-"
    expect(tb.api.of("getChatMember")).toHaveLength(1); // the right is asked once, then cached
    expect(tb.api.errors()).toEqual([]);
  });

  it("a refused answer shows its hint in the same message; nothing piles up", async () => {
    await say("/report", carol, GROUP);
    await say("-", carol, GROUP); // a title of dashes is refused
    expect(current(tb, GROUP).payload.text).toMatch(/^⚠️ /);
    expect(left()).toHaveLength(1);
    await say("Real title", carol, GROUP);
    expect(current(tb, GROUP).payload.text).toContain("請描述問題");
    expect(left()).toHaveLength(1);
    expect(tb.api.errors()).toEqual([]);
  });

  it("the bot may not delete: a deep link moves the questions to a private chat; only the card stays", async () => {
    tb.api.setBotMembership(GROUP, "member");
    await say("/report", carol, GROUP);
    const link = tb.api.sentTo(GROUP).at(-1)!;
    expect(link.payload.text).toContain("Carol");
    const url = buttonsOf(link.payload)[0]!.url!;
    const payload = /^https:\/\/t\.me\/nightshift_bot\?start=(q[a-z0-9]{10})$/.exec(url)?.[1];
    expect(payload, url).toBeDefined();

    // someone else's click is refused; the link stays for Carol
    await say(`/start ${payload}`, bob, bob.id);
    expect(tb.api.sentTo(bob.id).at(-1)!.payload.text).toBe(quietText.linkExpired);

    await say(`/start ${payload}`, carol, carol.id);
    expect(current(tb, carol.id).payload.text).toContain("標題");
    await answer(carol.id, carol);
    expect(tb.api.sentTo(carol.id).at(-1)!.payload.text).toContain("#1");
    const [card] = await deliverOutbox(tb);
    expect(card!.payload.chat_id).toBe(GROUP);
    expect(left().map((m) => m.messageId)).toEqual([card!.result.message_id]);
    // no answer was typed in the group, and no deletion Telegram would refuse was tried
    expect(tb.api.of("deleteMessage", true).filter((c) => c.payload.chat_id === GROUP)).toHaveLength(1);
    expect(tb.api.errors()).toEqual([]);
    // the link works once
    await say(`/start ${payload}`, carol, carol.id);
    expect(tb.api.sentTo(carol.id).at(-1)!.payload.text).toBe(quietText.linkExpired);
  });

  it("cancelled and expired reports leave nothing behind, in both cases", async () => {
    // cancelled in the group
    await say("/report", carol, GROUP);
    await say("A title", carol, GROUP);
    await say("/cancel", carol, GROUP);
    expect(left()).toEqual([]);
    // expired in the group: the sweep deletes the question message through the outbox
    await say("/report", carol, GROUP);
    expect(left()).toHaveLength(1);
    tb.clock.advance(16 * MINUTE);
    await botHousekeeping(tb.deps);
    await deliverOutbox(tb);
    expect(left()).toEqual([]);
    // a deep link never followed expires with its message
    tb.api.setBotMembership(GROUP, "member");
    tb = await startTestBot(t.db, { clock: tb.clock, api: tb.api }); // a new process: the right is asked again
    await say("/report", carol, GROUP);
    expect(left()).toHaveLength(1);
    tb.clock.advance(16 * MINUTE);
    await botHousekeeping(tb.deps);
    await deliverOutbox(tb);
    expect(left()).toEqual([]);
    expect(await getBug(t.db, 1)).toBeNull();
    expect(tb.api.errors()).toEqual([]);
  });

  it("the strict fake refuses deletions Telegram would refuse", async () => {
    const old = messageUpdate("old news", carol, GROUP, Math.floor(tb.clock().getTime() / 1000) - 49 * 3600);
    tb.api.receive(old);
    const raw = tb.bot.api.raw;
    await expect(raw.deleteMessage({ chat_id: GROUP, message_id: old.message!.message_id })).rejects.toThrow(
      /message can't be deleted/,
    );
    await expect(raw.deleteMessage({ chat_id: GROUP, message_id: 999_999 })).rejects.toThrow(/not found/);
    const fresh = messageUpdate("fresh", carol, GROUP, Math.floor(tb.clock().getTime() / 1000));
    tb.api.receive(fresh);
    tb.api.setBotMembership(GROUP, "member");
    await expect(raw.deleteMessage({ chat_id: GROUP, message_id: fresh.message!.message_id })).rejects.toThrow(
      /message can't be deleted/,
    );
    // its own messages the bot may delete without the right
    const own = await raw.sendMessage({ chat_id: GROUP, text: "mine" });
    await expect(raw.deleteMessage({ chat_id: GROUP, message_id: own.message_id })).resolves.toBe(true);
  });
});

// One bug through T1 and T2, from /report to the post-deploy watch of PROD, counting what the bot
// leaves in the group: per window its checklist (issue 12), ONE message for the release (the progress
// line edited into the template), its release notes (issue 13) and ONE watch message (edited from
// start to summary). The admin approves from her phone (the private notice), so no reply lands here.
describe.each(testBackends())("one bug through T1 and T2 in a quiet group on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("leaves the card, and per window its checklist, the release's one message, its notes and one watch message", async () => {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup), fakeClock(at("10:00")));
    await onCall(t.db, DAY);
    const say = (text: string, from: Person, chatId: number) =>
      tb.send(messageUpdate(text, from, chatId, Math.floor(tb.clock().getTime() / 1000)));
    /** The bot's messages left in the group, each as it reads now. */
    const left = () =>
      tb.api.botMessagesLeft(GROUP).map((m) => String(messageState(tb, GROUP, m.messageId).payload.text));
    const windowAt = async (local: string) => {
      tb.clock.set(at(local));
      await tick(tb.deps);
      await tb.settle();
    };
    await say("/notify on", alice, alice.id);

    // Carol reports in the group; Alice triages on the card (edited in place)
    await say("/report", carol, GROUP);
    await say("Login button does nothing", carol, GROUP);
    await say("-", carol, GROUP);
    await tb.send(pressOn(current(tb, GROUP), "UAT", carol));
    await tb.send(pressOn(current(tb, GROUP), "不確定", carol));
    await say("-", carol, GROUP);
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    const [card] = await deliverOutbox(tb);
    for (const label of ["✅ 確認", "🟡 medium", "Flow 1（先 UAT）", "✔️ 確認分類"])
      await tb.send(pressOn(messageState(tb, GROUP, card!.result.message_id), label, alice));
    expect(await getBug(t.db, 1)).toMatchObject({ status: "confirmed", fixFlow: "flow1" });
    expect(left()).toHaveLength(1);
    const sentBefore = tb.api.sentTo(GROUP).length;

    await windowAt("20:00");
    expect((await getBug(t.db, 1))?.status).toBe("deployed_uat");
    const t1 = left().slice(1);
    expect(t1.map((x) => x.split("\n")[0])).toEqual([
      "📋 T1 視窗部署前檢查（2099-11-24 20:00）：通過，開始執行",
      "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
      "📝 <b>Release notes — 2099.11.24-1</b>（UAT）",
      "✅ UAT 2099.11.24-1 監控 3 分鐘結束：4 輪檢查全部正常，解除監控。",
    ]);

    // Alice approves from her phone: the private notice's button
    tb.clock.set(at("21:00"));
    const notice = tb.api.sentTo(alice.id).at(-1)!;
    await tb.send(pressOn(notice, "批准推 PROD #1", alice));
    expect((await getBug(t.db, 1))?.status).toBe("pending_prod");

    await windowAt("22:00");
    expect((await getBug(t.db, 1))?.status).toBe("deployed_prod");
    expect(
      left()
        .slice(1 + t1.length)
        .map((x) => x.split("\n")[0]),
    ).toEqual([
      "📋 T2 視窗部署前檢查（2099-11-24 22:00）：通過，開始執行",
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      "📝 <b>Release notes — 2099.11.24-1</b>（PROD）",
      "✅ PROD 2099.11.24-1 監控 3 分鐘結束：4 輪檢查全部正常，解除監控。",
    ]);
    // 1 card + 4 per window; the windows sent nothing more than that (edits, not new messages to delete)
    expect(left()).toHaveLength(9);
    expect(tb.api.sentTo(GROUP).length - sentBefore).toBe(8);
    expect(tb.api.errors()).toEqual([]);
  });
});
