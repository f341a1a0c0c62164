// issue 15: long polling through @grammyjs/runner (src/adapters/telegram/polling.ts) against the
// strict fake Bot API's getUpdates: many members' /report conversations delivered interleaved are
// handled concurrently, each member's answers in their order (each bug gets its own title and
// description), private chats alike; stop drains what is in flight and confirms the offset.
import { asc } from "drizzle-orm";
import type { Update } from "grammy/types";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import { type Polling, startPolling } from "../../src/adapters/telegram/polling.js";
import { encodeChoice } from "../../src/core/callback-data.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { type TestDatabase, testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { callbackUpdate, fakeTelegram, messageUpdate, type Person } from "../support/telegram.js";

const MEMBERS = 12;
const members: Person[] = Array.from({ length: MEMBERS }, (_, i) => ({ id: 3000 + i, first_name: `Member${i}` }));

/**
 * A member's /report in `chat`, as the updates Telegram would deliver (button presses included; each
 * member's question is their own message, so each press names a message of its own).
 */
function reportSteps(u: Person, chat: number): Omit<Update, "update_id">[] {
  let question = 0;
  const press = (step: string, value: string) =>
    callbackUpdate(encodeChoice({ flow: "report", step, value }), u, {
      chatId: chat,
      messageId: u.id * 10 + ++question,
      text: "?",
    });
  return [
    messageUpdate("/report", u, chat),
    messageUpdate(`Checkout fails for ${u.first_name}`, u, chat),
    messageUpdate(`Blank page after paying, seen by ${u.first_name}`, u, chat),
    press("env", "prod"),
    press("sev", "low"),
    messageUpdate("-", u, chat),
    press("ok", "yes"),
  ].map(({ update_id: _, ...rest }) => rest);
}

/** Step k of every member before step k + 1 of any: the order Telegram delivers a busy group in. */
const interleaved = (steps: Omit<Update, "update_id">[][]) =>
  steps[0]!.flatMap((_, k) => steps.map((s) => s[k]!)).filter(Boolean);

describe.each(testBackends())("concurrent long polling on $name", (backend) => {
  const db: TestDatabase = useTestDatabase(backend);
  let tb: TestBot;
  let polling: Polling | null;
  let handled: number[];
  /** The getUpdates requests the bot made (the fake API answers them without recording). */
  let polls: Record<string, unknown>[];
  beforeAll(async () => {
    await db.reset();
  });
  beforeEach(async () => {
    await db.reset();
    const clock = fakeClock("2099-03-02T02:00:00Z");
    const api = fakeTelegram({ now: () => clock().getTime() });
    polls = [];
    const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url).endsWith("/getUpdates")) polls.push(JSON.parse(String(init?.body ?? "{}")));
      return api.fetch(url, init);
    }) as typeof globalThis.fetch;
    tb = await startTestBot(db.db, { clock, api: { ...api, fetch } });
    handled = [];
    polling = null;
  });
  afterEach(async () => {
    await polling?.stop(10_000);
  });

  const start = async (concurrency: number) => {
    polling = await startPolling(tb.bot, {
      concurrency,
      allowedUpdates: ["message", "callback_query"],
      timeoutSeconds: 1,
      onHandled: (u) => handled.push(u.update_id),
    });
    return polling;
  };
  const until = async (done: () => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`not done in ${ms} ms (${handled.length} handled)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const filed = () => db.db.select().from(bugs).orderBy(asc(bugs.reporterId));

  it("interleaved /report conversations of many group members: concurrent, each member's answers in order", async () => {
    const p = await start(8);
    const pushed = interleaved(members.map((u) => reportSteps(u, GROUP))).map((u) => tb.api.pushUpdate(u));
    await until(() => handled.length === pushed.length);

    expect(p.peak()).toBeGreaterThan(1); // really concurrent
    expect(p.peak()).toBeLessThanOrEqual(8); // and bounded
    const rows = await filed();
    expect(rows.map((b) => [b.reporterId, b.title, b.description, b.foundInEnv, b.severity])).toEqual(
      members.map((u) => [
        u.id,
        `Checkout fails for ${u.first_name}`,
        `Blank page after paying, seen by ${u.first_name}`,
        "prod",
        "low",
      ]),
    );
    expect(tb.api.errors()).toEqual([]);
  });

  it("private chats: each chat's replies come in the order of its messages", async () => {
    await start(16);
    // members of the system (seen in its group) report from their private chats
    for (const u of members) await tb.send({ ...messageUpdate("/help", u, GROUP) });
    tb.api.clear();
    const pushed = interleaved(members.map((u) => reportSteps(u, u.id))).map((u) => tb.api.pushUpdate(u));
    await until(() => handled.length === pushed.length);
    const rows = await filed();
    expect(rows.map((b) => b.title)).toEqual(members.map((u) => `Checkout fails for ${u.first_name}`));
    for (const u of members) {
      const texts = tb.api.sentTo(u.id).map((c) => String(c.payload.text));
      // the title prompt, then the description prompt, then the environment question, in that order
      const at = (re: RegExp) => texts.findIndex((t) => re.test(t));
      expect(at(/標題/)).toBeGreaterThanOrEqual(0);
      expect(at(/標題/)).toBeLessThan(at(/請描述問題/));
      expect(at(/請描述問題/)).toBeLessThan(at(/在哪個環境發現/));
    }
    expect(tb.api.errors()).toEqual([]);
  });

  it("stop drains the updates in flight and confirms the offset", async () => {
    const p = await start(4);
    const pushed = interleaved(members.map((u) => reportSteps(u, GROUP))).map((u) => tb.api.pushUpdate(u));
    await until(() => p.inFlight() > 0);
    expect(await p.stop(30_000)).toBe(0);
    polling = null;
    expect(p.inFlight()).toBe(0);
    const confirm = polls.at(-1)!;
    expect(confirm).toMatchObject({ limit: 1, timeout: 0 });
    const fetched = Number(confirm.offset) - 1;
    // everything fetched was handled before the offset moved past it; nothing after it was touched
    expect(handled.sort((a, b) => a - b)).toEqual(pushed.map((u) => u.update_id).filter((id) => id <= fetched));
    expect(handled.length).toBeGreaterThan(0);
    expect(polls.every((p) => Number(p.limit) <= 4)).toBe(true); // never more fetched than it may run
  });
});
