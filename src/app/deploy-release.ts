// Executes one release: the deployments row is committed as `running` first, then the target
// runs once per service in dependency order with a health check between steps, stopping at the
// first failure; the outcome (and the environment's versions) is recorded in one transaction.
import { and, eq, inArray } from "drizzle-orm";
import type { Logger } from "pino";
import { bugs, deployments } from "../../drizzle/schema.js";
import { type CheckResult, runCheck as defaultRunCheck } from "../adapters/checks/run-check.js";
import type { Db, Tx } from "../adapters/db/database.js";
import type { Liveness } from "../adapters/db/liveness.js";
import { runTarget as defaultRunTarget, type RunTarget } from "../adapters/deploy/run-target.js";
import type { Check, Config, SystemConfig } from "../config.js";
import type { DeploymentKind, Env } from "../core/model.js";
import { releaseNotes } from "../core/release.js";
import { environmentVersions, setEnvironmentVersion } from "./systems.js";

export type DeploymentRow = typeof deployments.$inferSelect;

export interface DeployDeps {
  db: Db;
  config: Config;
  clock: () => Date;
  logger: Logger;
  runTarget?: RunTarget;
  runCheck?: (check: Check, options: { cwd?: string }) => Promise<CheckResult>;
  /** Marks the rows this process runs, so recovery can tell a dead owner from a live one. */
  liveness?: Pick<Liveness, "instanceId" | "isAlive">;
}

export interface ReleaseRequest {
  system: SystemConfig;
  env: Env;
  kind: DeploymentKind;
  bugIds: number[];
  /** Already in dependency order; [] = a system without services (one step, no NIGHTSHIFT_SERVICE). */
  services: string[];
  version: string;
  /** Rollbacks: the version to return to (NIGHTSHIFT_TARGET_VERSION). */
  targetVersion?: string;
  rollsBackId?: number;
  windowRunId?: number;
  actorName: string;
  reason?: string;
  /** Called before each step: `step` is 1-based, `service` the one about to deploy. */
  onProgress?: (step: number, total: number, service: string | null) => Promise<void>;
  /** Runs inside the transaction that records the outcome: bug transitions and notifications go here. */
  onOutcome?: (tx: Tx, deployment: DeploymentRow) => Promise<void>;
}

const ENV_LABEL: Record<Env, string> = { uat: "UAT", prod: "PROD" };

export async function executeRelease(deps: DeployDeps, req: ReleaseRequest): Promise<DeploymentRow> {
  const { db, config, logger } = deps;
  const envConfig = req.system.environments[req.env];
  const target = req.kind === "rollback" ? envConfig.rollback : envConfig.deploy;
  const previous = (await environmentVersions(db, req.system.id))[req.env];
  const base = {
    systemId: req.system.id,
    env: req.env,
    kind: req.kind,
    version: req.version,
    previousVersion: previous,
    services: req.services,
    bugIds: req.bugIds,
    rollsBackId: req.rollsBackId ?? null,
    windowRunId: req.windowRunId ?? null,
    actorName: req.actorName,
    reason: req.reason ?? null,
    startedAt: deps.clock(),
  };

  if (!target) {
    const what = req.kind === "rollback" ? "回滾" : "部署";
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(deployments)
        .values({
          ...base,
          status: "failed",
          output: `[nightshift] 未設定 ${ENV_LABEL[req.env]} ${what}目標`,
          finishedAt: deps.clock(),
        })
        .returning();
      await req.onOutcome?.(tx, row!);
      return row!;
    });
  }

  // Committed before anything runs: a crash from here on leaves `running` for start-up recovery.
  const [started] = await db
    .insert(deployments)
    .values({ ...base, status: "running", owner: deps.liveness?.instanceId ?? null })
    .returning();
  const release = started!;
  const log = logger.child({ deploymentId: release.id, env: req.env, kind: req.kind });

  const bugRows = req.bugIds.length ? await db.select().from(bugs).where(inArray(bugs.id, req.bugIds)) : [];
  const steps: (string | null)[] = req.services.length ? req.services : [null];
  const runTarget = deps.runTarget ?? defaultRunTarget;
  const runCheck = deps.runCheck ?? defaultRunCheck;
  const output: string[] = [];
  let status: DeploymentRow["status"] = "succeeded";
  let reported: string | null = null;

  for (const [i, service] of steps.entries()) {
    await req.onProgress?.(i + 1, steps.length, service);
    const stdin = JSON.stringify({
      releaseId: release.id,
      system: req.system.id,
      env: req.env,
      kind: req.kind,
      version: req.version,
      targetVersion: req.targetVersion ?? null,
      service,
      services: req.services,
      actor: req.actorName,
      reason: req.reason ?? null,
      bugs: req.bugIds.flatMap((id) => {
        const b = bugRows.find((r) => r.id === id);
        return b
          ? [
              {
                id: b.id,
                title: b.title,
                severity: b.severity,
                fixFlow: b.fixFlow,
                module: b.module,
                services: b.services,
                rootCause: b.aiRootCause,
                fixPlan: b.aiFixPlan,
                fixDiff: b.aiFixDiff,
              },
            ]
          : [];
      }),
      notes: releaseNotes(bugRows),
    });
    const env: Record<string, string> = {
      NIGHTSHIFT_SYSTEM: req.system.id,
      NIGHTSHIFT_ENV: req.env,
      NIGHTSHIFT_VERSION: req.version,
      NIGHTSHIFT_RELEASE_ID: String(release.id),
      NIGHTSHIFT_BUG_IDS: req.bugIds.join(","),
      ...(service ? { NIGHTSHIFT_SERVICE: service } : {}),
      ...(req.targetVersion ? { NIGHTSHIFT_TARGET_VERSION: req.targetVersion } : {}),
    };
    log.info({ service, step: i + 1, of: steps.length }, "deploy step");
    const result = await runTarget({ target, env, stdin, cwd: config.configDir });
    output.push(`${service ? `[${service}] ` : ""}${result.status}\n${result.output}`.trimEnd());
    reported = result.version ?? reported;
    if (result.status !== "succeeded") {
      status = result.status;
      break;
    }
    const health = service ? (req.system.services.find((s) => s.name === service)?.health ?? envConfig.health) : null;
    if (health && i < steps.length - 1) {
      const check = await runCheck(health, { cwd: config.configDir });
      output.push(`[${service}] health ${check.ok ? "ok" : "FAILED"}: ${check.detail}`);
      if (!check.ok) {
        status = "failed";
        break;
      }
    }
  }

  const version = reported ?? (req.kind === "rollback" ? (req.targetVersion ?? req.version) : req.version);
  const text = output.join("\n").slice(-16 * 1024);
  return db.transaction(async (tx) => {
    const now = deps.clock();
    const [done] = await tx
      .update(deployments)
      .set({ status, output: text, version, finishedAt: now })
      .where(and(eq(deployments.id, release.id), eq(deployments.status, "running")))
      .returning();
    if (!done) {
      // Another replica's start-up marked it interrupted meanwhile: its alert stands.
      log.warn({ status }, "deployment finished after it was marked interrupted");
      const [current] = await tx.select().from(deployments).where(eq(deployments.id, release.id));
      return current!;
    }
    if (status === "succeeded") await setEnvironmentVersion(tx, req.system.id, req.env, version, now);
    await req.onOutcome?.(tx, done);
    log.info({ status, version }, "deployment finished");
    return done;
  });
}
