// executeRelease and the deploy side of a window, with the real fixture scripts.
import { existsSync, rmSync } from "node:fs";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deployments, windowRuns } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { executeRelease } from "../../src/app/deploy-release.js";
import { environmentVersions, setEnvironmentVersion } from "../../src/app/systems.js";
import { runWindow } from "../../src/app/windows/index.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";
import {
  at,
  command,
  confirmedBug,
  onCall,
  outboxRows,
  pipelineConfig,
  recorder,
  SERVICES,
  script,
  windowDeps,
} from "../windows/support.js";

const INJECTION = "$(touch /tmp/pwned); rm -rf ~";

describe.each(testBackends())("deploying on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
  });

  it("a webhook answer whose version holds NUL and an output with a lone surrogate are recorded cleaned", async () => {
    const config = pipelineConfig({
      uat: { type: "webhook", url: "https://deploy.example/hook", timeoutSeconds: 5 } as never,
    });
    const clock = fakeClock(at("20:00", "2099-11-24"));
    const { deployment: d } = await executeRelease(
      {
        ...windowDeps(t.db, config, clock),
        runTarget: async () => ({
          status: "succeeded",
          output: `HTTP 200\n{"version":"2099.11.24-1\u0000x"} \uD83D tail \u0000`,
          version: "2099.11.24-1\u0000x",
        }),
      },
      {
        system: config.systems[0]!,
        env: "uat",
        kind: "pipeline",
        bugIds: [],
        services: [],
        version: "2099.11.24-1",
        actorName: "system:T1\u0000",
      },
    );
    expect(d).toMatchObject({ status: "succeeded", version: "2099.11.24-1x", actorName: "system:T1" });
    expect(d.output).toBe('succeeded\nHTTP 200\n{"version":"2099.11.24-1x"} \uFFFD tail');
    expect((await environmentVersions(t.db, "crm")).uat).toBe("2099.11.24-1x");
  });

  it("deploys db-migration → backend → frontend in order and records the new versions", async () => {
    const rec = recorder();
    const config = pipelineConfig({ uat: rec.target(), services: SERVICES });
    const clock = fakeClock(at("20:00"));
    await setEnvironmentVersion(t.db, "crm", "uat", "2099.11.20-1", clock());
    const bug = await confirmedBug(t.db, { services: ["frontend", "db-migration", "backend"] });
    const progress: string[] = [];
    const { deployment: d } = await executeRelease(windowDeps(t.db, config, clock), {
      system: config.systems[0]!,
      env: "uat",
      kind: "pipeline",
      bugIds: [bug.id],
      services: ["db-migration", "backend", "frontend"],
      version: "2099.11.24-1",
      actorName: "system:T1",
      onStep: async ({ n, total, service }) => {
        progress.push(`${service} ${n}/${total}`);
      },
    });
    expect(d).toMatchObject({ status: "succeeded", version: "2099.11.24-1", previousVersion: "2099.11.20-1" });
    expect(rec.calls().map((c) => c.service)).toEqual(["db-migration", "backend", "frontend"]);
    expect(progress).toEqual(["db-migration 1/3", "backend 2/3", "frontend 3/3"]);
    expect(rec.calls()[0]).toMatchObject({
      system: "crm",
      env: "uat",
      releaseId: String(d.id),
      bugIds: String(bug.id),
    });
    expect(JSON.parse(rec.calls()[0]!.stdin)).toMatchObject({
      releaseId: d.id,
      service: "db-migration",
      services: ["db-migration", "backend", "frontend"],
      bugs: [{ id: bug.id, title: bug.title }],
    });
    expect(await environmentVersions(t.db, "crm")).toEqual({ uat: "2099.11.24-1", prod: null });
  });

  it("a failing backend stops before frontend; the environment keeps its version", async () => {
    const rec = recorder();
    const config = pipelineConfig({ prod: rec.target("backend"), services: SERVICES });
    const clock = fakeClock(at("22:00"));
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.20-1", clock());
    const { deployment: d } = await executeRelease(windowDeps(t.db, config, clock), {
      system: config.systems[0]!,
      env: "prod",
      kind: "pipeline",
      bugIds: [],
      services: ["db-migration", "backend", "frontend"],
      version: "2099.11.24-2",
      actorName: "system:T2",
    });
    expect(d.status).toBe("failed");
    expect(rec.calls().map((c) => c.service)).toEqual(["db-migration", "backend"]);
    expect(d.output).toContain("boom: backend failed");
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.11.20-1");
  });

  it("a failing health check between steps stops the release", async () => {
    const rec = recorder();
    const services = SERVICES.map((s) => (s.name === "db-migration" ? { ...s, health: command(["/bin/false"]) } : s));
    const config = pipelineConfig({ uat: rec.target(), services });
    const { deployment: d } = await executeRelease(windowDeps(t.db, config, fakeClock(at("20:00"))), {
      system: config.systems[0]!,
      env: "uat",
      kind: "pipeline",
      bugIds: [],
      services: ["db-migration", "backend", "frontend"],
      version: "2099.11.24-1",
      actorName: "system:T1",
    });
    expect(d.status).toBe("failed");
    expect(rec.calls()).toHaveLength(1);
    expect(d.output).toContain("[db-migration] health FAILED");
  });

  it("a rollback gets NIGHTSHIFT_TARGET_VERSION and sets the environment to it", async () => {
    const rec = recorder();
    const base = pipelineConfig();
    const config = {
      ...base,
      systems: base.systems.map((s) => ({
        ...s,
        environments: { ...s.environments, prod: { ...s.environments.prod, rollback: rec.target() } },
      })),
    };
    const clock = fakeClock(at("22:30"));
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.20-1", clock());
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.24-1", clock());
    const { deployment: d } = await executeRelease(windowDeps(t.db, config, clock), {
      system: config.systems[0]!,
      env: "prod",
      kind: "rollback",
      bugIds: [],
      services: [],
      version: "2099.11.24-1",
      targetVersion: "2099.11.20-1",
      actorName: "Alice",
      reason: "smoke failed",
    });
    expect(rec.calls()[0]).toMatchObject({ targetVersion: "2099.11.20-1", service: undefined });
    expect(d).toMatchObject({ status: "succeeded", kind: "rollback" });
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.11.20-1");
  });

  it("a hostile title reaches the real script byte for byte and runs nothing", async () => {
    rmSync("/tmp/pwned", { force: true });
    const rec = recorder();
    const config = pipelineConfig({ uat: rec.target() });
    const clock = fakeClock(at("20:00"));
    await onCall(t.db);
    const bug = await confirmedBug(t.db, { title: INJECTION });
    const run = await runWindow(windowDeps(t.db, config, clock), config.systems[0]!, "t1", {
      scheduledFor: at("20:00"),
      trigger: "schedule",
    });
    expect(run?.status).toBe("done");
    const [call] = rec.calls();
    const release = JSON.parse(call!.stdin) as { bugs: { title: string }[] };
    expect(release.bugs[0]!.title).toBe(INJECTION);
    expect(Buffer.from(release.bugs[0]!.title).equals(Buffer.from(INJECTION))).toBe(true);
    expect(existsSync("/tmp/pwned")).toBe(false);
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
    const uat = (await outboxRows(t.db)).find((r) => r.text.startsWith("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"));
    expect(uat?.text.split("\n")[1]).toBe(`• #${bug.id} [medium] ${INJECTION}`);
  });

  it("a hanging deploy is killed at its timeout: timed_out, bugs unchanged, one alert", async () => {
    const rec = recorder();
    const config = pipelineConfig({ uat: command([script("hang-deploy.sh"), rec.dir], 1) });
    const clock = fakeClock(at("20:00"));
    await onCall(t.db);
    const bug = await confirmedBug(t.db);
    const run = await runWindow(windowDeps(t.db, config, clock), config.systems[0]!, "t1", {
      scheduledFor: at("20:00"),
      trigger: "schedule",
    });
    expect(run).toMatchObject({ status: "failed" });
    const [d] = await t.db.select().from(deployments);
    expect(d).toMatchObject({ status: "timed_out", env: "uat", bugIds: [bug.id] });
    expect(d!.output).toContain("killed after the 1s timeout");
    const after = await getBug(t.db, bug.id);
    expect(after?.status).toBe("planned"); // analysed, not deployed
    const alerts = (await outboxRows(t.db)).filter((r) => r.method === "sendMessage" && r.text.startsWith("❌"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text.split("\n").slice(0, 3)).toEqual([
      "❌ 部署逾時，已終止 — UAT",
      `📦 Release: ${d!.version}`,
      `• #${bug.id} [medium] Login button does nothing`,
    ]);
    const [w] = await t.db.select().from(windowRuns).where(eq(windowRuns.id, run!.id));
    expect(w!.summary).toContain("失敗（timed_out）");
  });
});
