// Drill 4: Postgres goes away for 20 s while updates keep arriving. The bot answers
// 「系統暫時無法使用」 to each, stays up, serves normally once Postgres is back (and takes its liveness
// lock again), and no transition is half-written. The server is a private one (private-postgres.ts):
// the machine's shared Postgres is never stopped.
import { spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import { type Database, openDatabase } from "../../src/adapters/db/database.js";
import { t } from "../../src/i18n/index.js";
import { seedSystem } from "../support/fixtures.js";
import { callbackUpdate, messageUpdate } from "../support/telegram.js";
import { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";
import {
  ALICE,
  expectNothingLost,
  type FakeTelegramServer,
  fakeTelegramServer,
  killAll,
  logLines,
  removeTempDirs,
  seedBug,
  startBot,
  tempDir,
  unsentCount,
  until,
  writePipeline,
} from "./support.js";

const OUTAGE_MS = 20_000;
const UNAVAILABLE = t.errors.unavailable;

describe("drill 4: Postgres unavailable for 20 s while updates arrive", () => {
  let server: PrivatePostgres;
  let database: Database;
  let telegram: FakeTelegramServer;
  beforeAll(async () => {
    server = await startPrivatePostgres();
    [database, telegram] = await Promise.all([
      openDatabase({ kind: "postgres", url: server.url }, { poolSize: 2 }),
      fakeTelegramServer(),
    ]);
  });
  afterEach(killAll);
  afterAll(async () => {
    removeTempDirs();
    await telegram?.close();
    await database?.close();
    server?.destroy();
  });

  it("answers 「系統暫時無法使用」， stays up, recovers, and leaves no half-written transition", async () => {
    const db = database.db;
    await seedSystem(db);
    for (let i = 1; i <= 6; i++)
      await seedBug(db, `Bug ${i}`, [
        { type: "confirm", severity: "low", flow: "flow1" },
        { type: "start_analysis" },
        { type: "record_analysis", rootCause: null, fixPlan: null, failed: false },
        { type: "deploy_uat_ok", releaseId: 0 },
      ]);
    const bot = await startBot({ databaseUrl: server.url, telegram, pipeline: writePipeline(tempDir("outage")) });
    const countOf = async (query: SQL) => ((await db.execute(query)) as unknown as { n: number }[])[0]!.n;
    const replies = () => telegram.sentTo(ALICE.id).map((c) => String(c.payload.text));
    const toasts = () => telegram.of("answerCallbackQuery").map((c) => c.payload.text);
    const say = async (text: string): Promise<string> => {
      const before = replies().length;
      telegram.pushUpdate(messageUpdate(text, ALICE));
      await until(() => replies().length > before, `a reply to ${text}`, 10_000);
      return replies().at(-1)!;
    };

    expect(await say("/approve_prod 1")).toContain("已批准推 PROD");

    // An approval caught mid-transaction by the shutdown: psql holds #2's row lock, so the bot's
    // UPDATE waits inside its transaction when the server terminates every session.
    const lock = "begin; select id from bugs where id = 2 for update; select pg_sleep(60)";
    const locker = spawn("psql", [server.url, "-c", lock], { stdio: "ignore" });
    const activity = (where: SQL) => countOf(sql`select count(*)::int as n from pg_stat_activity where ${where}`);
    await until(async () => (await activity(sql`query = ${lock} and state = 'active'`)) === 1, "psql to hold the lock");
    const before = replies().length;
    for (const id of [2, 3, 4]) telegram.pushUpdate(messageUpdate(`/approve_prod ${id}`, ALICE));
    await until(
      async () => (await activity(sql`application_name = 'nightshift' and wait_event_type = 'Lock'`)) === 1,
      "the approval to wait on the lock",
    );
    await server.stop();
    const downSince = Date.now();
    locker.kill();
    await until(() => replies().length >= before + 3, "replies to the burst", 10_000);
    expect(replies().slice(before)).toEqual([UNAVAILABLE, UNAVAILABLE, UNAVAILABLE]);

    let asked = 0;
    while (Date.now() - downSince < OUTAGE_MS) {
      expect(await say("/approve_prod 5")).toBe(UNAVAILABLE);
      const answered = toasts().length;
      telegram.pushUpdate(callbackUpdate("v1:ap:5:5", ALICE, { chatId: ALICE.id, messageId: 1 }));
      await until(() => toasts().length > answered, "the button press answered", 10_000);
      expect(toasts().at(-1)).toBe(UNAVAILABLE);
      expect(bot.child.exitCode, "the bot process is still up").toBeNull();
      asked++;
      await delay(2_000);
    }
    expect(asked).toBeGreaterThanOrEqual(5);

    await server.start();
    await until(async () => (await say("/bugs")) !== UNAVAILABLE, "normal service", 20_000);
    expect(await say("/approve_prod 6")).toContain("已批准推 PROD");
    // The liveness lock died with its connection; it is taken again, so replicas do not think this one dead.
    const livenessLocks = sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = ${0x6e73} and granted`;
    await until(async () => (await countOf(livenessLocks)) === 1, "the liveness lock to be held again");
    await until(async () => (await unsentCount(db)) === 0, "the outbox to drain");

    const status = Object.fromEntries((await db.select().from(bugs)).map((b) => [b.id, b.status]));
    expect(status).toEqual({
      1: "pending_prod",
      2: "deployed_uat",
      3: "deployed_uat",
      4: "deployed_uat",
      5: "deployed_uat",
      6: "pending_prod",
    });
    // postgres.js wedges connections a shutdown catches mid-transaction: the pool was replaced.
    expect(logLines(bot, /pool renewed/).length).toBeGreaterThan(0);
    await expectNothingLost(db);
    expect(await bot.stop()).toBe(0);
  });
});
