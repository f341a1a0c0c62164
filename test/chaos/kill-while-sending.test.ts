// Drill 3: kill -9 twice while the dispatcher works through a long outbox (real clock, real
// limits, a slow Bot API). After each restart the dead process's claimed rows are released at
// once; in the end every message is delivered, in order per chat, with at most one duplicate per crash.
import { describe, expect, it } from "vitest";
import { htmlMessage } from "../../src/adapters/telegram/drafts.js";
import { enqueue } from "../../src/app/outbox.js";
import { seedSystem } from "../support/fixtures.js";
import {
  deliveries,
  expectNothingLost,
  logLines,
  startBot,
  tempDir,
  unsentCount,
  until,
  useDrill,
  writePipeline,
} from "./support.js";

const CHATS = 30;
const PER_CHAT = 5;

describe("drill 3: kill -9 while the outbox is sending", () => {
  const drill = useDrill();

  it("delivers every message, in order per chat, at most one duplicate per crash", async () => {
    const { pg, telegram } = drill;
    await seedSystem(pg.db);
    const drafts = Array.from({ length: CHATS * PER_CHAT }, (_, i) =>
      htmlMessage(100_000 + (i % CHATS), `訊息 ${Math.floor(i / CHATS) + 1}/${PER_CHAT} 給聊天室 ${i % CHATS}`),
    );
    await enqueue(pg.db, drafts, new Date());
    telegram.latency(15);
    const options = { databaseUrl: pg.url, telegram, pipeline: writePipeline(tempDir("sending")) };
    const sent = () => telegram.of("sendMessage").length;

    let crashes = 0;
    const bots = [];
    for (const killAt of [40, 95]) {
      const bot = await startBot(options);
      bots.push(bot);
      await until(() => sent() >= killAt, `${killAt} messages sent`);
      await bot.kill9();
      crashes++;
    }
    const last = await startBot(options);
    bots.push(last);
    await until(async () => (await unsentCount(pg.db)) === 0, "the outbox to drain");
    // Read once everything is drained: a restart may log its release just after it says ready.
    const released = bots
      .flatMap((bot) => logLines(bot, /outbox rows released/))
      .reduce((n, l) => n + Number(l.released), 0);

    const copies = (await deliveries(pg.db, telegram)).map((d) => d.copies);
    expect(copies).toHaveLength(CHATS * PER_CHAT);
    expect(copies.filter((n) => n === 0)).toEqual([]);
    const duplicates = copies.reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(crashes);
    // Each crash left claimed-but-unsent rows; they were released at restart, not after the 60 s lease.
    expect(released).toBeGreaterThan(0);
    for (let chat = 0; chat < CHATS; chat++) {
      const order = telegram
        .of("sendMessage")
        .filter((c) => c.payload.chat_id === 100_000 + chat)
        .map((c) => Number(/訊息 (\d+)/.exec(c.payload.text)![1]));
      expect(
        order.filter((n, i) => n !== order[i - 1]),
        `chat ${chat}`,
      ).toEqual([1, 2, 3, 4, 5]);
    }
    await expectNothingLost(pg.db);
    expect(await last.stop()).toBe(0);
  });
});
