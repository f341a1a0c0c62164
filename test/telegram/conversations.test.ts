// Conversations end, through the bot: an idle one times out (also across a restart, on the bot's
// clock), another command ends it and runs, its buttons then say it is over, `-` is no title,
// titles and reasons are one line, and what a conversation stores stays bounded.
import { like } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { kv, processedUpdates } from "../../drizzle/schema.js";
import { botHousekeeping, pruneProcessedUpdates } from "../../src/adapters/telegram/middleware.js";
import { STATE_LIMITS } from "../../src/adapters/telegram/storage.js";
import { bugHistory, getBug } from "../../src/app/bugs.js";
import { conversationText as C, t as T } from "../../src/i18n/index.js";
import { type FakeClock, fakeClock, startTestBot, type TestBot, testConfig } from "../support/app.js";
import { type TestDatabase, testBackends } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob, carol, messageUpdate } from "../support/telegram.js";
import { current, deliverOutbox, last, pressData, pressOn, toasts } from "./helpers.js";

const START = "2099-03-02T02:00:00Z";
const MINUTE = 60_000;
/** 「已逾時,已取消」 with the full-width comma. */
const TIMED_OUT = "已逾時\uff0c已取消";

describe.each(testBackends())("conversations end on $name", (backend) => {
  let db: TestDatabase;
  let tb: TestBot;
  let clock: FakeClock;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.reset();
    clock = fakeClock(START);
    tb = await startTestBot(db.db, { clock });
  });

  const texts = (chatId: number) => tb.api.sentTo(chatId).map((c) => String(c.payload.text));
  const lastText = (chatId: number) => String(current(tb, chatId).payload.text);
  const conversationRows = () => db.db.select().from(kv).where(like(kv.key, "conv:%"));

  describe("idle timeout", () => {
    it("a /report idle for 15 minutes ends with 「已逾時，已取消」; the next line is not taken as its title", async () => {
      await tb.send(messageUpdate("/report", carol, GROUP));
      await tb.send(messageUpdate("Login broken", carol, GROUP));
      expect(lastText(GROUP)).toContain("請描述問題");
      clock.advance(14 * MINUTE); // not yet
      await tb.send(messageUpdate("Tap login, nothing", carol, GROUP));
      const envPrompt = current(tb, GROUP);
      expect(envPrompt.payload.text).toContain(T.report.askEnv);

      clock.advance(15 * MINUTE + 1);
      const sent = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate("hello again", carol, GROUP));
      const replies = tb.api.of("sendMessage").slice(sent);
      // issue 17: in a quiet group (the bot may delete) nothing is said; the question message goes
      expect(replies).toHaveLength(0);
      expect(tb.api.botMessagesLeft(GROUP)).toEqual([]);
      expect(await conversationRows()).toEqual([]);
      // Its buttons are over too; nothing was filed.
      await tb.send(pressOn(envPrompt, "UAT", carol));
      expect(toasts(tb).at(-1)).toBe(C.ended);
      expect(await getBug(db.db, 1)).toBeNull();
      // A new /report starts from the title.
      await tb.send(messageUpdate("/report", carol, GROUP));
      expect(lastText(GROUP)).toContain("請輸入<b>標題</b>");
      expect(tb.api.errors()).toEqual([]);
    });

    it("holds across a restart and follows CONVERSATION_TIMEOUT_MINUTES", async () => {
      const config = testConfig({}, { CONVERSATION_TIMEOUT_MINUTES: "5" });
      expect(config.conversationTimeoutMinutes).toBe(5);
      tb = await startTestBot(db.db, { config, clock });
      await tb.send(messageUpdate("/report", alice));
      clock.advance(4 * MINUTE);
      tb = await startTestBot(db.db, { config, clock, api: tb.api }); // restarted: state from the database
      await tb.send(messageUpdate("Survives four minutes", alice));
      expect(lastText(alice.id)).toContain("請描述問題");
      clock.advance(5 * MINUTE + 1);
      tb = await startTestBot(db.db, { config, clock, api: tb.api });
      await tb.send(messageUpdate("too late", alice));
      expect(lastText(alice.id)).toBe(C.timedOut({ ids: ["report"], minutes: 5, who: null }));
      expect(lastText(alice.id)).toContain(TIMED_OUT);
      expect(await conversationRows()).toEqual([]);
    });

    it("an idle conversation is ended by the sweep even if its user never writes again (told through the outbox)", async () => {
      await tb.send(messageUpdate("/report", carol, GROUP));
      clock.advance(16 * MINUTE);
      await tb.send(messageUpdate("/status", bob, GROUP)); // someone else's update runs the bot's housekeeping
      expect(await conversationRows()).toEqual([]);
      const [told] = await deliverOutbox(tb);
      // issue 17: a quiet group is not told; the question message is deleted through the outbox
      expect(told).toMatchObject({ method: "deleteMessage", payload: { chat_id: GROUP } });
      expect(tb.api.botMessagesLeft(GROUP).map((m) => m.text)).toEqual([expect.not.stringContaining("標題")]);
      // Carol's late answer is no title, and she is not told twice.
      const sent = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate("late title", carol, GROUP));
      expect(tb.api.of("sendMessage").length).toBe(sent);

      // main.ts runs the same housekeeping on a timer, for a bot that gets no updates.
      await tb.send(messageUpdate("/report", alice));
      clock.advance(16 * MINUTE);
      await botHousekeeping(tb.deps);
      const [private_] = await deliverOutbox(tb);
      expect(private_?.payload).toMatchObject({ chat_id: alice.id });
      expect(private_?.payload.text).toContain(TIMED_OUT);
      expect(await conversationRows()).toEqual([]);
    });
  });

  describe("another command ends the conversation", () => {
    it("/bugs during /report ends it and lists the bugs; the next line is not a title", async () => {
      await tb.send(messageUpdate("/report", carol, GROUP));
      const sent = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate("/bugs", carol, GROUP));
      const replies = tb.api
        .of("sendMessage")
        .slice(sent)
        .map((c) => c.payload.text);
      expect(replies).toHaveLength(1); // a quiet group: the report's message goes silently, /bugs answers
      expect(await conversationRows()).toEqual([]);
      const after = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate("Checkout is slow", carol, GROUP));
      expect(tb.api.of("sendMessage").length).toBe(after);
      expect(await getBug(db.db, 1)).toBeNull();
    });

    it("/hotfix typed inside a hotfix conversation starts it over, never 「發生錯誤」", async () => {
      await tb.send(messageUpdate("/hotfix", alice, GROUP));
      expect(lastText(GROUP)).toContain("請輸入 bug 標題");
      const sent = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate("/hotfix", alice, GROUP));
      const replies = tb.api
        .of("sendMessage")
        .slice(sent)
        .map((c) => String(c.payload.text));
      expect(replies).toEqual([expect.stringContaining("請輸入 bug 標題")]); // the old panel went silently
      expect(tb.api.botMessagesLeft(GROUP)).toHaveLength(1);
      expect(texts(GROUP).join("\n")).not.toContain("發生錯誤");
      await tb.send(messageUpdate("Payments down", alice, GROUP));
      expect(current(tb, GROUP).payload.text).toContain("請選擇嚴重度");
      expect(tb.api.errors()).toEqual([]);
    });

    it("/cancel says it cancelled (once); a command addressed to another bot does not end anything", async () => {
      await tb.send(messageUpdate("/report", carol, GROUP));
      await tb.send(messageUpdate("/status@other_bot", carol, GROUP));
      expect(await conversationRows()).toHaveLength(1);
      await tb.send(messageUpdate("/cancel", carol, GROUP));
      expect(tb.api.botMessagesLeft(GROUP)).toEqual([]); // a quiet group: cancelled leaves nothing
      await tb.send(messageUpdate("/cancel", carol, carol.id));
      expect(lastText(carol.id)).toBe(T.cancel.nothing);
      expect(texts(GROUP).filter((x) => x === C.endedByCommand(["report"]))).toEqual([]);
    });
  });

  describe("buttons of an ended conversation", () => {
    it("answer 「這個對話已結束」， not 「無法辨識的按鈕」; another member's live form still answers as before", async () => {
      await tb.send(messageUpdate("/report", carol, GROUP));
      await tb.send(messageUpdate("Title", carol, GROUP));
      await tb.send(messageUpdate("-", carol, GROUP));
      const envPrompt = current(tb, GROUP);
      await tb.send(pressOn(envPrompt, "PROD", bob)); // Carol's live form: not Bob's
      expect(toasts(tb).at(-1)).toBe(T.errors.unknownButton);
      await tb.send(messageUpdate("/cancel", carol, GROUP));
      await tb.send(pressOn(envPrompt, "PROD", carol));
      expect(toasts(tb).at(-1)).toBe(C.ended);

      // A hotfix's buttons too, after another command ended it.
      await tb.send(messageUpdate("/hotfix", alice));
      await tb.send(messageUpdate("DB down", alice));
      const severity = last(tb, "sendMessage", alice.id);
      await tb.send(messageUpdate("/status", alice));
      await tb.send(pressOn(severity, "🔴 critical", alice));
      expect(toasts(tb).at(-1)).toBe(C.ended);
      expect(tb.api.errors()).toEqual([]);
    });
  });

  describe("titles", () => {
    it("`-`, dashes and blank lines are not titles; the prompt asks again", async () => {
      await tb.send(messageUpdate("/report", bob));
      for (const bad of ["-", " - ", "—", "   ", "\u0000"]) {
        await tb.send(messageUpdate(bad, bob));
        expect(lastText(bob.id)).toBe(bad.trim() === "" || bad === "\u0000" ? C.answerRequired : C.titleRequired);
      }
      await tb.send(messageUpdate("Real title", bob));
      expect(lastText(bob.id)).toContain("請描述問題");

      await tb.send(messageUpdate("/hotfix", alice));
      await tb.send(messageUpdate("-", alice));
      expect(lastText(alice.id)).toBe(C.titleRequired);
    });

    it("a title with newlines is one line: it cannot fake lines in the card; reasons are one line too", async () => {
      const forged = "Checkout 500\n✅ Alice 已確認 · 🟢 low\r\n狀態：已部署 PROD";
      await tb.send(messageUpdate("/report", carol, GROUP));
      await tb.send(messageUpdate(forged, carol, GROUP));
      await tb.send(messageUpdate("steps\nline two\u0000\ud800", carol, GROUP));
      await tb.send(pressOn(current(tb, GROUP), "UAT", carol));
      await tb.send(pressOn(current(tb, GROUP), "不確定", carol));
      await tb.send(messageUpdate("-", carol, GROUP));
      const summary = current(tb, GROUP);
      expect(String(summary.payload.text).split("\n")).toContain(
        "🐞 <b>Checkout 500 ✅ Alice 已確認 · 🟢 low 狀態：已部署 PROD</b>",
      );
      await tb.send(pressOn(summary, "📨 送出", carol));
      const bug = await getBug(db.db, 1);
      expect(bug?.title).toBe("Checkout 500 ✅ Alice 已確認 · 🟢 low 狀態：已部署 PROD");
      // A description keeps its lines; a NUL and a lone surrogate (which Postgres refuses) do not reach it.
      expect(bug?.description).toBe("steps\nline two\ufffd");
      const [card] = await deliverOutbox(tb);
      const lines = String(card!.payload.text).split("\n");
      expect(lines.filter((l) => l.includes("已確認"))).toHaveLength(1);
      expect(lines.some((l) => l.startsWith("✅"))).toBe(false);

      await tb.send(pressOn(card!, "🚫 拒絕", alice));
      await tb.send(messageUpdate("dup\n🚫 fake line", alice, GROUP));
      const trail = await bugHistory(db.db, 1);
      expect(trail.at(-1)).toMatchObject({ event: "reject", note: "dup 🚫 fake line" });
    });
  });

  describe("bounded state", () => {
    it("hundreds of too-long answers are refused without growing the stored conversation", async () => {
      await tb.send(messageUpdate("/report", alice));
      const size = async () => JSON.stringify((await conversationRows())[0]?.value).length;
      const before = await size();
      const long = "長".repeat(4000);
      for (let i = 0; i < 200; i++) await tb.send(messageUpdate(long, alice));
      expect(await size()).toBe(before);
      expect(texts(alice.id).filter((x) => x === T.report.tooLong(200))).toHaveLength(200);
      await tb.send(messageUpdate("Fits", alice));
      expect(lastText(alice.id)).toContain("請描述問題");
    });

    it("a conversation past its bound of steps ends instead of slowing every later update", async () => {
      const config = testConfig();
      config.systems[0]!.services = [{ name: "backend", dependsOn: [] }];
      tb = await startTestBot(db.db, { config, clock });
      await tb.send(messageUpdate("/report", alice));
      await tb.send(messageUpdate("Title", alice));
      await tb.send(messageUpdate("-", alice));
      await tb.send(pressOn(last(tb, "sendMessage", alice.id), "UAT", alice));
      await tb.send(pressOn(last(tb, "sendMessage", alice.id), "🟢 low", alice));
      const services = last(tb, "sendMessage", alice.id);
      let presses = 0;
      while ((await conversationRows()).length > 0 && presses < 2 * STATE_LIMITS.operations) {
        await tb.send(pressData(services, "v1:rp:svc:0", alice));
        presses += 1;
      }
      expect(presses).toBeLessThan(STATE_LIMITS.operations);
      expect(lastText(alice.id)).toBe(C.tooManySteps);
      expect(await conversationRows()).toEqual([]);
    });

    it("processed_updates older than a day are pruned (and capped); a redelivery within the day is still ignored", async () => {
      const old = new Date(clock().getTime() - 25 * 60 * MINUTE);
      await db.db.insert(processedUpdates).values([1, 2, 3].map((i) => ({ updateId: 900_000 + i, processedAt: old })));
      const update = messageUpdate("/status", alice);
      await tb.send(update);
      const ids = (await db.db.select().from(processedUpdates)).map((r) => r.updateId);
      expect(ids).toEqual([update.update_id]);
      const sent = tb.api.of("sendMessage").length;
      clock.advance(23 * 60 * MINUTE);
      await tb.send(update);
      expect(tb.api.of("sendMessage").length).toBe(sent);

      await db.db
        .insert(processedUpdates)
        .values(Array.from({ length: 20 }, (_, i) => ({ updateId: 1_000_000 + i, processedAt: clock() })));
      await pruneProcessedUpdates(tb.deps, { ms: 24 * 60 * MINUTE, rows: 5 });
      const kept = (await db.db.select().from(processedUpdates)).map((r) => r.updateId).sort((a, b) => a - b);
      expect(kept).toEqual([1_000_015, 1_000_016, 1_000_017, 1_000_018, 1_000_019]);
    });
  });
});
