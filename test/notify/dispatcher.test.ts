// The outbox dispatcher against the strict fake Bot API, on a fake clock.
import { Api } from "grammy";
import { beforeEach, describe, expect, it } from "vitest";
import { outbox } from "../../drizzle/schema.js";
import { openDatabase } from "../../src/adapters/db/database.js";
import { botApiSender, createDispatcher, type SendPort } from "../../src/adapters/notify/dispatcher.js";
import { editMessage, messages } from "../../src/app/messages.js";
import { enqueue } from "../../src/app/outbox.js";
import { fakeClock, TEST_TOKEN } from "../support/app.js";
import { postgresBackends, type TestDatabase, testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { fakeTelegram } from "../support/telegram.js";
import { quietLogger } from "../windows/support.js";

const PRIVATE = 1001;

function setup(db: TestDatabase["db"], start: Date | string = "2099-11-24T12:00:00Z", pollMs = 250) {
  const clock = fakeClock(start);
  const api = fakeTelegram({ now: () => clock().getTime() });
  const sent: { at: number; chatId: number; text: string; method: string; ok: boolean }[] = [];
  const raw = botApiSender(new Api(TEST_TOKEN, { fetch: api.fetch }));
  const send: SendPort = async (method, payload) => {
    const entry = {
      at: clock().getTime(),
      chatId: payload.chat_id as number,
      text: String(payload.text),
      method,
      ok: false,
    };
    sent.push(entry);
    const result = await raw(method, payload);
    entry.ok = true;
    return result;
  };
  const dispatcher = createDispatcher({
    db,
    send,
    clock,
    logger: quietLogger,
    pollMs,
    sleep: async (ms) => clock.advance(ms),
  });
  return { clock, api, sent, dispatcher };
}

describe.each(testBackends())("outbox dispatcher on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("rides out 429 retry_after 3 and 502s: every message once, in order per chat", async () => {
    const { api, clock, sent, dispatcher } = setup(t.db);
    for (let i = 1; i <= 5; i++) {
      await enqueue(t.db, [...messages(GROUP, `group ${i}`), ...messages(PRIVATE, `private ${i}`)], clock());
    }
    api.failNext("sendMessage", {
      error_code: 429,
      description: "Too Many Requests: retry after 3",
      parameters: { retry_after: 3 },
    });
    api.failNext("sendMessage", { error_code: 502, description: "Bad Gateway" }, 3);
    await dispatcher.runUntilIdle();

    const texts = (chat: number) => api.sentTo(chat).map((c) => c.payload.text);
    expect(texts(GROUP)).toEqual(["group 1", "group 2", "group 3", "group 4", "group 5"]);
    expect(texts(PRIVATE)).toEqual(["private 1", "private 2", "private 3", "private 4", "private 5"]);
    // the message refused with 429 was retried no sooner than retry_after
    const refused = sent.find((s) => !s.ok)!;
    const retried = sent.find((s) => s.ok && s.chatId === refused.chatId && s.text === refused.text)!;
    expect(retried.at - refused.at).toBeGreaterThanOrEqual(3000);
    const rows = await t.db.select().from(outbox);
    expect(rows.every((r) => r.sentAt && r.sentMessageId)).toBe(true);
    expect(rows.some((r) => r.lastError === null && r.attempts > 1)).toBe(true);
  });

  it("keeps 100 messages to one group under 20 per minute and 1 per second", async () => {
    // Polled every second of the fake clock, not every 250 ms: five minutes of sending are 300 polls.
    const { clock, sent, dispatcher } = setup(t.db, undefined, 1000);
    for (let i = 0; i < 100; i++) await enqueue(t.db, messages(GROUP, `message ${i}`), clock());
    await dispatcher.runUntilIdle();
    const times = sent.filter((s) => s.ok).map((s) => s.at);
    expect(sent.filter((s) => s.ok).map((s) => s.text)).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`));
    for (let i = 0; i + 1 < times.length; i++) expect(times[i + 1]! - times[i]!).toBeGreaterThanOrEqual(1000);
    for (let i = 0; i + 20 < times.length; i++) expect(times[i + 20]! - times[i]!).toBeGreaterThanOrEqual(60_000);
    // and not much slower than the limit allows: 5 blocks of 20, one minute apart
    expect(times.at(-1)! - times[0]!).toBeLessThan(5 * 60_000);
  });

  it("edits the message another row sent; an edit that changes nothing is never sent", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    const [progress] = await enqueue(t.db, messages(GROUP, "⏳ 部署中 1/2"), clock());
    await enqueue(
      t.db,
      [editMessage(GROUP, progress!, "⏳ 部署中 2/2"), editMessage(GROUP, progress!, "⏳ 部署中 2/2")],
      clock(),
    );
    await enqueue(t.db, [editMessage(GROUP, progress!, "⏳ 部署中 2/2")], clock());
    await enqueue(t.db, [editMessage(GROUP, progress!, "✅ 完成")], clock());
    await dispatcher.runUntilIdle();
    const first = api.sentTo(GROUP)[0]!.result.message_id;
    const edits = api.of("editMessageText", true);
    expect(edits.map((e) => [e.payload.message_id, e.payload.text, e.error?.error_code])).toEqual([
      [first, "⏳ 部署中 2/2", undefined],
      [first, "✅ 完成", undefined],
    ]);
    expect(await dispatcher.pending()).toBe(0);
  });

  it("sends a row with a notBefore only when the clock reaches it", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    await enqueue(
      t.db,
      [{ ...messages(GROUP, "later")[0]!, notBefore: new Date(clock().getTime() + 60_000) }],
      clock(),
    );
    expect(await dispatcher.step()).toBe(0);
    clock.advance(60_000);
    expect(await dispatcher.step()).toBe(1);
    expect(api.sentTo(GROUP)).toHaveLength(1);
  });

  // One clock for the outbox: a dispatcher whose clock is far from the database's own now() still
  // sends due rows at once and holds rows whose notBefore it has not reached.
  it.each([
    ["a year in the past", -365],
    ["a year in the future", 365],
  ])("runs on a clock %s of the database's", async (_label, days) => {
    const { api, clock, dispatcher } = setup(t.db, new Date(Date.now() + days * 86_400_000));
    await enqueue(t.db, messages(GROUP, "now"), clock());
    await enqueue(
      t.db,
      [{ ...messages(GROUP, "in a minute")[0]!, notBefore: new Date(clock().getTime() + 60_000) }],
      clock(),
    );
    expect(await dispatcher.step()).toBe(1);
    clock.advance(2_000);
    expect(await dispatcher.step()).toBe(0);
    clock.advance(60_000);
    expect(await dispatcher.step()).toBe(1);
    expect(api.sentTo(GROUP).map((m) => m.payload.text)).toEqual(["now", "in a minute"]);
  });
});

describe.each(postgresBackends())("two dispatchers on one $name database", (backend) => {
  const t = useTestDatabase(backend);

  it("deliver each message once", async () => {
    const other = await openDatabase({ kind: "postgres", url: t.url! }, { migrate: false });
    try {
      const a = setup(t.db);
      const b = setup(other.db);
      b.api.failNext("sendMessage", { error_code: 502, description: "Bad Gateway" });
      for (let i = 0; i < 10; i++)
        await enqueue(t.db, [...messages(GROUP, `g${i}`), ...messages(-100999, `o${i}`)], a.clock());
      await Promise.all([a.dispatcher.runUntilIdle(), b.dispatcher.runUntilIdle()]);
      const delivered = [...a.sent, ...b.sent].filter((s) => s.ok).map((s) => s.text);
      expect(delivered.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => [`g${i}`, `o${i}`]).flat()].sort());
    } finally {
      await other.close();
    }
  });
});
