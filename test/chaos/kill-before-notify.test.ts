// Drill 2: kill -9 after a status change is committed but before its notification is sent. The
// fake Bot API holds the T2 result message, so its outbox row is claimed, committed and unsent
// when the bot dies; Telegram then delivers the held request anyway (the bot never hears back).
// On restart the row is released at once and sent: delivered, with at most one duplicate.
import { describe, expect, it } from "vitest";
import { bugs, outbox, windowRuns } from "../../drizzle/schema.js";
import { seedSystem } from "../support/fixtures.js";
import {
  approvedForProd,
  deliveries,
  deployCalls,
  expectNothingLost,
  GROUP,
  logLines,
  pendingProd,
  seedOncall,
  startBot,
  taipei,
  tempDir,
  unsentCount,
  until,
  useDrill,
  writePipeline,
} from "./support.js";

const RESULT = "🚀 Bug Fix Pipeline";

describe("drill 2: kill -9 between the status change and its notification", () => {
  const drill = useDrill();
  const dir = tempDir("notify");

  it("delivers the notification after a restart, at most once more, and loses no bug", async () => {
    const { pg, telegram } = drill;
    await seedSystem(pg.db);
    await seedOncall(pg.db);
    const seeded = [
      await approvedForProd(pg.db, "Typo on the receipt"),
      await pendingProd(pg.db, "Invoice total off by one"),
      await pendingProd(pg.db, "Slow search"),
    ];
    telegram.hold((method, p) => method === "sendMessage" && String(p.text).startsWith(RESULT));
    const clock = { start: taipei("21:59:30"), speed: 60, anchor: new Date(Date.now() + 5_000) };
    const options = { databaseUrl: pg.url, telegram, pipeline: writePipeline(dir), clock };

    const first = await startBot(options);
    await until(async () => {
      const [w] = await pg.db.select().from(windowRuns);
      return telegram.parked() === 1 && w?.status === "done";
    }, "T2 to finish with its result message parked at the fake");
    // The transition and its notification were one transaction: the bugs moved, the rows exist, unsent.
    expect((await pg.db.select().from(bugs)).map((b) => b.status)).toEqual([
      "deployed_prod",
      "deployed_prod",
      "deployed_prod",
    ]);
    const results = (await pg.db.select().from(outbox).orderBy(outbox.id)).filter((r) =>
      String(r.payload.text).startsWith(RESULT),
    );
    expect(results.map((r) => [r.sentAt, r.claimedBy])).toEqual([
      [null, expect.stringMatching(/^pg:\d+$/)],
      [null, null],
    ]);
    await first.kill9();
    telegram.release();

    const second = await startBot(options);
    await until(async () => (await unsentCount(pg.db)) === 0, "the outbox to drain");
    expect(logLines(second, /outbox rows released/)).toEqual([expect.objectContaining({ released: 1 })]);

    const sent = (await deliveries(pg.db, telegram)).filter((d) => d.text.startsWith(RESULT));
    // The held message reached the group twice (before and after the crash); the other one once.
    expect(sent.map((d) => d.copies)).toEqual([2, 1]);
    const texts = sent.map((d) => d.text).join("\n");
    for (const bug of seeded) expect(texts).toContain(`#${bug.id}`);
    expect(telegram.sentTo(GROUP).length).toBe((await deliveries(pg.db, telegram)).length + 1);
    expect(deployCalls(dir).map((c) => c.env)).toEqual(["prod"]);
    await expectNothingLost(pg.db);
    expect(await second.stop()).toBe(0);
  });
});
