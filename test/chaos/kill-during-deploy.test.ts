// Drill 1: kill -9 the bot while T2 deploys PROD. On restart the deployment is `interrupted`, the
// group gets one alert, the deploy script is not called again, and the bugs are still pending_prod.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bugs, deployments, windowRuns } from "../../drizzle/schema.js";
import { seedSystem } from "../support/fixtures.js";
import {
  deployCalls,
  expectNothingLost,
  killHungDeploy,
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

describe("drill 1: kill -9 during a T2 PROD deploy", () => {
  const drill = useDrill();
  const dir = tempDir("deploy");
  afterEach(() => killHungDeploy(dir));

  it("is interrupted and alerted once on restart, never deployed twice, bugs still pending_prod", async () => {
    const { pg, telegram } = drill;
    await seedSystem(pg.db);
    await seedOncall(pg.db);
    const seeded = [await pendingProd(pg.db, "Invoice total off by one"), await pendingProd(pg.db, "Slow search")];
    // 21:59:30 at the anchor, 1 simulated minute per real second: T2 fires ~0.5 s after the anchor,
    // which leaves the process time to start. Restarts share the anchor, so time goes on.
    const clock = { start: taipei("21:59:30"), speed: 60, anchor: new Date(Date.now() + 5_000) };
    const options = { databaseUrl: pg.url, telegram, pipeline: writePipeline(dir, { hangProd: true }), clock };

    const first = await startBot(options);
    await until(() => existsSync(join(dir, "started")), "the PROD deploy to start", 20_000);
    const [running] = await pg.db.select().from(deployments);
    expect(running).toMatchObject({ env: "prod", status: "running", bugIds: seeded.map((b) => b.id) });
    await first.kill9();
    // The deploy may well finish on the server after the bot died: nobody knows — hence `interrupted`.
    killHungDeploy(dir);

    const second = await startBot(options);
    await until(
      async () => (await unsentCount(pg.db)) === 0 && telegram.groupTexts().some((t) => t.startsWith("🛑")),
      "the alert",
    );
    // Ticks keep coming every ~200 ms: give them time to (wrongly) run T2 again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    expect(deployCalls(dir)).toEqual([
      expect.objectContaining({
        label: "deploy",
        env: "prod",
        releaseId: running!.id,
        bugIds: seeded.map((b) => b.id).join(","),
      }),
    ]);
    const rows = await pg.db.select().from(deployments);
    expect(rows.map((d) => [d.id, d.status])).toEqual([[running!.id, "interrupted"]]);
    const windows = await pg.db.select().from(windowRuns);
    expect(windows.map((w) => [w.slot, w.scheduledFor.toISOString(), w.status])).toEqual([
      ["t2", taipei("22:00:00").toISOString(), "failed"],
    ]);
    expect((await pg.db.select().from(bugs)).map((b) => b.status)).toEqual(["pending_prod", "pending_prod"]);
    const alerts = telegram.groupTexts().filter((t) => t.startsWith("🛑"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain("🛑 部署中斷 — PROD");
    for (const bug of seeded) expect(alerts[0]).toContain(`#${bug.id}`);
    await expectNothingLost(pg.db);
    expect(second.child.exitCode).toBeNull();
    expect(await second.stop()).toBe(0);
  });
});
