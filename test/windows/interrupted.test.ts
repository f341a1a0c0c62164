// A process killed (kill -9) in the middle of a deploy: on restart the deployment is
// `interrupted`, the group is alerted once, and nothing is deployed a second time.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployments, windowRuns } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { recoverInterrupted } from "../../src/app/recovery.js";
import { tick } from "../../src/app/windows/index.js";
import { fakeClock } from "../support/app.js";
import { postgresBackends, useTestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";
import { spawnProcess } from "../support/process.js";
import { at, command, confirmedBug, onCall, outboxRows, pipelineConfig, script, windowDeps } from "./support.js";

async function waitFor(check: () => boolean, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(postgresBackends())("a deploy killed mid-way on $name", (backend) => {
  const t = useTestDatabase(backend);

  it("is interrupted on restart, alerted once, never re-run", async () => {
    await seedSystem(t.db);
    await onCall(t.db);
    const bug = await confirmedBug(t.db);
    const dir = mkdtempSync(join(tmpdir(), "nightshift-kill9-"));
    const child = spawnProcess(process.execPath, ["--import", "tsx", "test/fixtures/deploy/window-child.ts"], {
      env: { CHILD_DATABASE_URL: t.url!, CHILD_RECORD_DIR: dir },
    });
    try {
      await waitFor(() => existsSync(join(dir, "pid")) || child.child.exitCode !== null);
      expect(child.output()).toBe("");
      const [running] = await t.db.select().from(deployments);
      expect(running?.status).toBe("running");
      await child.kill9();
    } finally {
      // the deploy script runs in its own process group and outlives the bot: end it
      if (existsSync(join(dir, "pid"))) {
        try {
          process.kill(-Number(readFileSync(join(dir, "pid"), "utf8")), "SIGKILL");
        } catch {}
      }
    }

    // restart: recovery, then the scheduler's start-up catch-up (T1 is within its grace period)
    const config = pipelineConfig({ uat: command([script("hang-deploy.sh"), dir], 600) });
    const deps = windowDeps(t.db, config, fakeClock(at("20:05")));
    const interrupted = await recoverInterrupted(deps);
    expect(interrupted).toHaveLength(1);
    await tick(deps);
    // a second replica starting changes nothing
    expect(await recoverInterrupted(deps)).toHaveLength(0);

    const [d] = await t.db.select().from(deployments);
    expect(d).toMatchObject({ status: "interrupted", bugIds: [bug.id] });
    expect(await t.db.select().from(deployments)).toHaveLength(1);
    expect(readFileSync(join(dir, "calls"), "utf8").trim().split("\n")).toEqual([String(d!.id)]);
    expect((await getBug(t.db, bug.id))?.status).toBe("planned");
    const [w] = await t.db.select().from(windowRuns);
    expect(w).toMatchObject({ slot: "t1", status: "failed" });
    const alerts = (await outboxRows(t.db)).filter((r) => r.text.startsWith("🛑"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text.split("\n")).toEqual([
      "🛑 部署中斷 — UAT",
      `📦 Release: ${d!.version}`,
      `• #${bug.id} [medium] Login button does nothing`,
      "開始時間：2099-11-24 20:00",
      "機器人在部署途中停止，結果不明;不會自動重跑。",
      "請管理員檢查環境後決定重新部署或 /rollback。",
    ]);
  });
});

if (postgresBackends().length === 0) it.skip("needs real Postgres: set TEST_DATABASE_URL (CI does)", () => {});
