// Nothing wedges: hostile deploy output, an outcome transaction that fails, a database that is
// unreachable when a window is due. Every case goes through a window firing (tick / scheduler).
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deployments, windowRuns } from "../../drizzle/schema.js";
import { startScheduler } from "../../src/adapters/scheduler/scheduler.js";
import { getBug } from "../../src/app/bugs.js";
import { executeRelease } from "../../src/app/deploy-release.js";
import { environmentVersions } from "../../src/app/systems.js";
import { tick } from "../../src/app/windows/index.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";
import { failingDb } from "./faulty-db.js";
import { at, command, confirmedBug, onCall, outboxRows, pipelineConfig, windowDeps } from "./support.js";

/** Far from today: a Tuesday. */
const DAY = "2099-11-24";
const T1_AT = at("20:00", DAY);

/**
 * A deploy script whose output is hostile: NUL bytes on stderr and in its `version=` line, and
 * more than the output limit of emoji so the kept tail starts in the middle of one (a lone
 * surrogate). Exits with the code given.
 */
const hostile = (exitCode: number) =>
  command([
    process.execPath,
    "-e",
    [
      'process.stderr.write("err\\u0000or\\n");',
      'process.stdout.write("x" + "\\u{1F600}".repeat(12000) + "\\nversion=2099.11.24-\\u0000NUL\\n");',
      `process.exitCode = ${exitCode};`,
    ].join(""),
  ]);

const has = (text: string, pattern: RegExp) => pattern.test(text);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe.each(testBackends())("nothing wedges on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
    await onCall(t.db, DAY, 2);
  });

  it("T1 with a script printing NUL bytes and a cut emoji: deployed, bugs moved, template sent, window done", async () => {
    const config = pipelineConfig({ uat: hostile(0) });
    const bug = await confirmedBug(t.db, { title: "Emoji totals" });
    await tick(windowDeps(t.db, config, fakeClock(T1_AT)));

    const [run] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(run).toMatchObject({ status: "done" });
    const [d] = await t.db.select().from(deployments);
    expect(d).toMatchObject({ status: "succeeded", env: "uat", version: "2099.11.24-NUL" });
    expect(d!.output).not.toContain("\u0000");
    expect(has(d!.output, LONE_SURROGATE)).toBe(false);
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
    expect((await environmentVersions(t.db, "crm")).uat).toBe("2099.11.24-NUL");
    const sent = (await outboxRows(t.db)).map((r) => r.text);
    expect(sent.some((text) => text.startsWith("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"))).toBe(true);
  });

  it("the same output with a failing exit: failed, bugs unmoved, failure told, window finished", async () => {
    const config = pipelineConfig({ uat: hostile(3) });
    const bug = await confirmedBug(t.db);
    await tick(windowDeps(t.db, config, fakeClock(T1_AT)));

    const [run] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(run).toMatchObject({ status: "failed" });
    const [d] = await t.db.select().from(deployments);
    expect(d).toMatchObject({ status: "failed" });
    expect(d!.output).not.toContain("\u0000");
    expect((await getBug(t.db, bug.id))?.status).toBe("planned");
    const sent = (await outboxRows(t.db)).map((r) => r.text);
    expect(sent.filter((text) => text.includes("UAT") && text.includes("失敗")).length).toBeGreaterThan(0);
    expect(sent.every((text) => !text.includes("\u0000") && !has(text, LONE_SURROGATE))).toBe(true);
  });

  it("a failing outcome transaction is retried until it commits: nothing left running", async () => {
    const config = pipelineConfig({ uat: command(["/bin/echo", "version=2099.11.24-7"]) });
    const bug = await confirmedBug(t.db);
    const faulty = failingDb(t.db, { outcomeFailures: 3 });
    await tick(windowDeps(faulty.db, config, fakeClock(T1_AT)));

    expect(faulty.outcomeFailuresLeft()).toBe(0);
    const [d] = await t.db.select().from(deployments);
    expect(d).toMatchObject({ status: "succeeded", version: "2099.11.24-7" });
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
    const [run] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(run).toMatchObject({ status: "done" });
    expect((await outboxRows(t.db)).filter((r) => r.text.startsWith("🔧 Bug Fix Pipeline — Flow 1"))).toHaveLength(1);
  });

  it("an outcome that can never be recorded (a bug) is marked, the admins alerted, not left running", async () => {
    const config = pipelineConfig({ uat: command(["/bin/echo", "version=2099.11.24-8"]) });
    const deps = windowDeps(t.db, config, fakeClock(T1_AT));
    let tries = 0;
    const { deployment: d } = await executeRelease(
      deps,
      {
        system: config.systems[0]!,
        env: "uat",
        kind: "pipeline",
        bugIds: [],
        services: [],
        version: "2099.11.24-8",
        actorName: "system:T1",
      },
      async () => {
        tries++;
        throw new Error("bug in the outcome");
      },
    );
    expect(tries).toBeGreaterThan(1);
    expect(d.status).toBe("interrupted");
    expect(d.output).toContain("outcome_unrecorded: succeeded");
    expect((await t.db.select().from(deployments)).map((r) => r.status)).toEqual(["interrupted"]);
    const alert = (await outboxRows(t.db)).filter((r) => r.text.startsWith("🚨 UAT 2099.11.24-8"));
    expect(alert).toHaveLength(1);
    expect(alert[0]!.text).toContain("bug in the outcome");
    // the environment is free again
    const { deployment: next } = await executeRelease(deps, {
      system: config.systems[0]!,
      env: "uat",
      kind: "pipeline",
      bugIds: [],
      services: [],
      version: "2099.11.24-9",
      actorName: "system:T1",
    });
    expect(next.status).toBe("succeeded");
  });

  it("a tick failing at 20:00 (database unreachable) is retried by the scheduler: T1 still runs", async () => {
    const config = pipelineConfig({ uat: command(["/bin/echo", "version=2099.11.24-1"]) });
    const bug = await confirmedBug(t.db);
    const faulty = failingDb(t.db, { downForQueries: 3 });
    const clock = fakeClock(T1_AT);
    const scheduler = startScheduler(windowDeps(faulty.db, config, clock), { retryBaseMs: 5, retryMaxMs: 20 });
    try {
      await scheduler.catchUp();
      clock.advance(20_000); // a 20-second blip
      for (let i = 0; i < 400 && (await t.db.select().from(windowRuns)).every((r) => r.status !== "done"); i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      await scheduler.stop();
    }
    expect(faulty.failedQueries()).toBe(3);
    const [run] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(run).toMatchObject({ status: "done", scheduledFor: T1_AT });
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
  });

  it("a window missed because the database was down is reported with the database error", async () => {
    const config = pipelineConfig({ uat: command(["/bin/echo", "version=2099.11.24-1"]) });
    await confirmedBug(t.db);
    // the bot was last alive for yesterday's T2
    await t.db.insert(windowRuns).values({
      systemId: "crm",
      slot: "t2",
      scheduledFor: at("22:00", "2099-11-23"),
      status: "done",
      startedAt: at("22:00", "2099-11-23"),
    });
    const faulty = failingDb(t.db, { downForQueries: Number.POSITIVE_INFINITY });
    const clock = fakeClock(T1_AT);
    expect(await tick(windowDeps(faulty.db, config, clock))).toEqual(["crm"]);
    faulty.heal();
    clock.set(at("20:40", DAY));
    expect(await tick(windowDeps(faulty.db, config, clock))).toEqual([]);
    const [run] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(run).toMatchObject({ status: "missed" });
    expect(run!.summary).toBe("資料庫無法連線（connect ECONNREFUSED 127.0.0.1:5432 (injected)）");
    const missed = (await outboxRows(t.db)).filter((r) => r.text.startsWith("⚠️ T1 視窗未執行"));
    expect(missed.map((r) => r.text.split("\n")[1])).toEqual([
      "原因:資料庫無法連線（connect ECONNREFUSED 127.0.0.1:5432 (injected)）（補跑寬限 30 分鐘）",
    ]);
  });
});
