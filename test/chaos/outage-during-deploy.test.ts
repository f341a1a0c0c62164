// Drill 7: Postgres goes away for ~20 s while T2 deploys PROD, and the deploy finishes during the
// outage. The outcome is retried until Postgres is back and then recorded: the deployment
// succeeded, the bugs deployed_prod, the window done, the group told — nothing left `running`,
// the same process, no restart. Drill 8: the database blips just as T1 is due; the window still
// runs within its grace period. Both on a private Postgres (private-postgres.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bugs, deployments, windowRuns } from "../../drizzle/schema.js";
import { ALL_TABLES, type Database, openDatabase } from "../../src/adapters/db/database.js";
import { seedSystem } from "../support/fixtures.js";
import { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";
import {
  expectNothingLost,
  type FakeTelegramServer,
  fakeTelegramServer,
  killAll,
  killHungDeploy,
  logLines,
  openGate,
  pendingProd,
  removeTempDirs,
  seedBug,
  seedOncall,
  startBot,
  taipei,
  tempDir,
  unsentCount,
  until,
  writePipeline,
} from "./support.js";

/** Far from today: a Tuesday. */
const DAY = "2099-11-24";
const OUTAGE_MS = 20_000;

describe("drills 7–8: Postgres away during a deploy and at a window's start", () => {
  let server: PrivatePostgres;
  let database: Database;
  let telegram: FakeTelegramServer;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startPrivatePostgres();
    [database, telegram] = await Promise.all([
      openDatabase({ kind: "postgres", url: server.url }, { poolSize: 2 }),
      fakeTelegramServer(),
    ]);
  });
  beforeEach(async () => {
    await database.db.execute(sql.raw(`truncate ${ALL_TABLES.join(", ")} restart identity cascade`));
  });
  afterEach(async () => {
    for (const dir of dirs.splice(0)) killHungDeploy(dir);
    await killAll();
  });
  afterAll(async () => {
    removeTempDirs();
    await telegram?.close();
    await database?.close();
    server?.destroy();
  });

  it("drill 7: a PROD deploy that finishes while Postgres is down is recorded once it is back", async () => {
    const db = database.db;
    await seedSystem(db);
    await seedOncall(db, DAY);
    const seeded = [await pendingProd(db, "Invoice total off by one"), await pendingProd(db, "Slow search")];
    const dir = tempDir("outage-deploy");
    dirs.push(dir);
    // T2 fires ~0.5 s after the anchor; 60× leaves 30 real seconds of grace.
    const clock = { start: taipei("21:59:30", DAY), speed: 60, anchor: new Date(Date.now() + 4_000) };
    const bot = await startBot({
      databaseUrl: server.url,
      telegram,
      pipeline: writePipeline(dir, { gateProd: true }),
      clock,
    });
    await until(() => existsSync(join(dir, "started")), "the PROD deploy to start", 30_000);
    const [running] = await db.select().from(deployments);
    expect(running).toMatchObject({ env: "prod", status: "running" });

    await server.stop();
    const downSince = Date.now();
    openGate(dir); // the deploy finishes while the database is away
    await until(() => logLines(bot, /recording the deployment outcome failed/).length > 0, "a failed outcome", 20_000);
    await delay(Math.max(0, OUTAGE_MS - (Date.now() - downSince)));
    expect(bot.child.exitCode, "the bot process is still up").toBeNull();
    await server.start();

    await until(
      async () => (await db.select().from(deployments).where(eq(deployments.id, running!.id)))[0]?.status !== "running",
      "the outcome to be recorded",
      60_000,
    );
    const [recorded] = await db.select().from(deployments).where(eq(deployments.id, running!.id));
    expect(recorded, recorded?.output.slice(-300)).toMatchObject({ status: "succeeded" });
    await until(async () => (await db.select().from(windowRuns))[0]?.status === "done", "the window to finish", 30_000);
    expect((await db.select().from(bugs)).map((b) => b.status)).toEqual(["deployed_prod", "deployed_prod"]);
    await until(async () => (await unsentCount(db)) === 0, "the outbox to drain", 90_000); // PROD's 30-min watch (~30 real s at 60×) edits its message until it stands down
    const result = telegram.groupTexts().filter((t) => t.startsWith("🚀 Bug Fix Pipeline"));
    expect(result).toHaveLength(1);
    for (const bug of seeded) expect(result[0]).toContain(`#${bug.id}`);
    expect(telegram.groupTexts().filter((t) => t.startsWith("🛑"))).toEqual([]);
    await expectNothingLost(db);
    expect(await bot.stop()).toBe(0);
  });

  it("drill 8: a database blip as T1 is due — the window still runs within its grace period", async () => {
    const db = database.db;
    await seedSystem(db);
    await seedOncall(db, DAY);
    const bug = await seedBug(db, "Receipt total wrong", [{ type: "confirm", severity: "medium", flow: "flow1" }]);
    const dir = tempDir("outage-window");
    dirs.push(dir);
    // 19:59:50 at the anchor, 10×: T1 is due 1 s after it; a 20 s outage is 200 simulated seconds,
    // well inside the 30-minute grace period.
    const anchor = new Date(Date.now() + 6_000);
    const clock = { start: taipei("19:59:50", DAY), speed: 10, anchor };
    const bot = await startBot({ databaseUrl: server.url, telegram, pipeline: writePipeline(dir), clock });
    await delay(Math.max(0, anchor.getTime() - Date.now() - 500));
    await server.stop(); // down just before 20:00
    await delay(OUTAGE_MS);
    await server.start();

    await until(async () => (await db.select().from(windowRuns))[0]?.status === "done", "T1 to run", 60_000);
    const [run] = await db.select().from(windowRuns);
    expect(run).toMatchObject({ slot: "t1", status: "done", scheduledFor: taipei("20:00:00", DAY) });
    expect((await db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]?.status).toBe("deployed_uat");
    expect(logLines(bot, /scheduler tick failed/).length).toBeGreaterThan(0);
    await until(async () => (await unsentCount(db)) === 0, "the outbox to drain", 30_000);
    expect(telegram.groupTexts().filter((t) => t.includes("視窗未執行"))).toEqual([]);
    await expectNothingLost(db);
    expect(await bot.stop()).toBe(0);
  });
});
