// Executes one release: the environment's change lock is taken (one deploy, hotfix or rollback at a
// time per system and environment, across replicas), the deployments row is committed as
// `running`, then the target runs once per service in dependency order with a health check between
// steps, stopping at the first failure; the outcome (and the environment's versions) is recorded in
// one transaction, retried until it commits. Everything written comes through core/text first.
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { bugs, deployments, kv } from "../../drizzle/schema.js";
import { type CheckResult, runCheck as defaultRunCheck } from "../adapters/checks/run-check.js";
import { connectionFailure, type Db, type Tx } from "../adapters/db/database.js";
import type { Liveness } from "../adapters/db/liveness.js";
import { runTarget as defaultRunTarget, type RunTarget } from "../adapters/deploy/run-target.js";
import type { Check, Config, SystemConfig } from "../config.js";
import type { DeploymentKind, Env } from "../core/model.js";
import { releaseNotes } from "../core/release.js";
import { boundedTail, boundedText, cleanText, oneLine } from "../core/text.js";
import { ENV_LABEL, reliability } from "../i18n/index.js";
import { messages } from "./messages.js";
import { enqueue } from "./outbox.js";
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
  /** Waits between lock polls and outcome retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
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
  /** The environment's lock, when the caller took it already (rollback, hotfix); else taken here. */
  lock?: EnvLock;
  /** What this change is, for the "waiting for …" message (e.g. 「T2 部署」). */
  label?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------- one change at a time per system and environment ----------

/** A held environment lock: a kv row `env-lock:<system>:<env>` naming its owner process and holder. */
export interface EnvLock {
  key: string;
  token: string;
  release(): Promise<void>;
}

interface LockValue {
  owner: string | null;
  token: string;
  holder: string;
  since: string;
}

export const envLockKey = (systemId: string, env: Env) => `env-lock:${systemId}:${env}`;
const LOCK_POLL_MS = 2_000;
/** A change never waits longer than this for another one (then it is refused with the reason). */
const MAX_LOCK_WAIT_MS = 3 * 60 * 60_000;

export class EnvBusyError extends Error {
  constructor(
    readonly env: Env,
    readonly holder: string,
  ) {
    super(reliability.busyTooLong(env, holder));
  }
}

/**
 * Takes the environment's change lock, waiting while another deploy, hotfix or rollback of the same
 * system and environment holds it (the group is told once, `onWait`). A lock whose owner process
 * is dead (liveness) is taken over. Throws EnvBusyError after 3 hours of waiting.
 */
export async function acquireEnvLock(
  deps: Pick<DeployDeps, "db" | "clock" | "logger" | "liveness" | "sleep">,
  input: { system: SystemConfig; env: Env; holder: string; what?: string },
): Promise<EnvLock> {
  const key = envLockKey(input.system.id, input.env);
  const token = randomUUID();
  const value: LockValue = {
    owner: deps.liveness?.instanceId ?? null,
    token,
    holder: cleanText(input.holder),
    since: deps.clock().toISOString(),
  };
  const sleep = deps.sleep ?? realSleep;
  const started = deps.clock().getTime();
  let told = false;
  for (;;) {
    const [taken] = await deps.db
      .insert(kv)
      .values({ key, value, updatedAt: deps.clock() })
      .onConflictDoNothing()
      .returning({ key: kv.key });
    if (taken) {
      const release = async () => {
        await deps.db.delete(kv).where(and(eq(kv.key, key), sql`${kv.value}->>'token' = ${token}`));
      };
      return { key, token, release };
    }
    const [row] = await deps.db.select().from(kv).where(eq(kv.key, key));
    const other = row?.value as LockValue | undefined;
    if (!other) continue;
    // Without liveness (tests, one process) a holder is presumed alive.
    if (deps.liveness && !(await deps.liveness.isAlive(other.owner))) {
      deps.logger.warn({ key, owner: other.owner }, "environment lock of a dead process released");
      await deps.db.delete(kv).where(and(eq(kv.key, key), sql`${kv.value}->>'token' = ${other.token}`));
      continue;
    }
    if (!told) {
      told = true;
      deps.logger.info({ key, holder: other.holder }, "waiting for the environment");
      const text = reliability.waiting({ env: input.env, holder: other.holder, what: input.what ?? input.holder });
      await enqueue(
        deps.db,
        messages(input.system.groupChatId, text, { dedupeKey: `env-wait:${token}` }),
        deps.clock(),
      );
    }
    if (deps.clock().getTime() - started > MAX_LOCK_WAIT_MS) throw new EnvBusyError(input.env, other.holder);
    await sleep(LOCK_POLL_MS);
  }
}

/** Environment locks whose owner process is dead are removed (start-up and periodic recovery). */
export async function releaseDeadEnvLocks(deps: { db: Db; liveness?: Pick<Liveness, "isAlive"> }): Promise<number> {
  if (!deps.liveness) return 0;
  const rows = await deps.db.select().from(kv).where(sql`${kv.key} like 'env-lock:%'`);
  let released = 0;
  for (const row of rows) {
    const v = row.value as LockValue;
    if (await deps.liveness.isAlive(v.owner)) continue;
    await deps.db.delete(kv).where(and(eq(kv.key, row.key), sql`${kv.value}->>'token' = ${v.token}`));
    released++;
  }
  return released;
}

// ---------- a release ----------

export async function executeRelease(deps: DeployDeps, req: ReleaseRequest): Promise<DeploymentRow> {
  const envConfig = req.system.environments[req.env];
  const target = req.kind === "rollback" ? envConfig.rollback : envConfig.deploy;
  if (!target) return recordMissingTarget(deps, req);
  const holder = req.label ?? (req.kind === "rollback" ? reliability.holders.rollback : reliability.holders.hotfix);
  const lock = req.lock ?? (await acquireEnvLock(deps, { system: req.system, env: req.env, holder }));
  try {
    return await runLocked(deps, req, target);
  } finally {
    if (!req.lock)
      await lock.release().catch((err: unknown) => deps.logger.error({ err }, "environment lock not released"));
  }
}

function baseRow(deps: DeployDeps, req: ReleaseRequest, previous: string | null) {
  return {
    systemId: req.system.id,
    env: req.env,
    kind: req.kind,
    version: boundedText(oneLine(req.version), 200),
    previousVersion: previous,
    services: req.services.map(cleanText),
    bugIds: req.bugIds,
    rollsBackId: req.rollsBackId ?? null,
    windowRunId: req.windowRunId ?? null,
    actorName: boundedText(oneLine(req.actorName), 200),
    reason: req.reason === undefined ? null : boundedText(req.reason, 2000),
    startedAt: deps.clock(),
  };
}

async function recordMissingTarget(deps: DeployDeps, req: ReleaseRequest): Promise<DeploymentRow> {
  const previous = (await environmentVersions(deps.db, req.system.id))[req.env];
  const what = req.kind === "rollback" ? "回滾" : "部署";
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(deployments)
      .values({
        ...baseRow(deps, req, previous),
        status: "failed",
        output: `[nightshift] 未設定 ${ENV_LABEL[req.env]} ${what}目標`,
        finishedAt: deps.clock(),
      })
      .returning();
    await req.onOutcome?.(tx, row!);
    return row!;
  });
}

async function runLocked(
  deps: DeployDeps,
  req: ReleaseRequest,
  target: NonNullable<SystemConfig["environments"][Env]["deploy"]>,
): Promise<DeploymentRow> {
  const { db, config, logger } = deps;
  const envConfig = req.system.environments[req.env];
  // Read under the lock: no other change of this environment can move it until we are done.
  const previous = (await environmentVersions(db, req.system.id))[req.env];

  // Committed before anything runs: a crash from here on leaves `running` for start-up recovery.
  const [started] = await db
    .insert(deployments)
    .values({ ...baseRow(deps, req, previous), status: "running", owner: deps.liveness?.instanceId ?? null })
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
    // Outside text: cleaned (NUL, lone surrogates) and cut on code points before it goes anywhere.
    const stepOutput = boundedTail(result.output ?? "", 16 * 1024);
    output.push(`${service ? `[${service}] ` : ""}${result.status}\n${stepOutput}`.trimEnd());
    const said = result.version ? boundedText(oneLine(result.version), 200) : "";
    reported = said || reported;
    if (result.status !== "succeeded") {
      status = result.status;
      break;
    }
    const health = service ? (req.system.services.find((s) => s.name === service)?.health ?? envConfig.health) : null;
    if (health && i < steps.length - 1) {
      const check = await runCheck(health, { cwd: config.configDir });
      output.push(`[${service}] health ${check.ok ? "ok" : "FAILED"}: ${cleanText(check.detail)}`);
      if (!check.ok) {
        status = "failed";
        break;
      }
    }
  }

  const version =
    reported ?? boundedText(oneLine(req.kind === "rollback" ? (req.targetVersion ?? req.version) : req.version), 200);
  const text = boundedTail(output.join("\n"), 16 * 1024);
  return recordOutcome(deps, req, release, { status, version, text }, log);
}

/** Outcome attempts before a failing one is recorded as unrecorded (the admins alerted). */
const FULL_ATTEMPTS_BEFORE_FALLBACK = 4;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Records the outcome in one transaction, retried with backoff until it commits (a database outage
 * ends, the process keeps trying for as long as it lives). If it keeps failing while the database
 * answers (a bug), the release is marked `interrupted` with the reason in its output and the group
 * alerted: a live process never leaves it `running`. If the process dies first, its row stays
 * `running` with a dead owner, which start-up recovery marks interrupted and alerts.
 */
async function recordOutcome(
  deps: DeployDeps,
  req: ReleaseRequest,
  release: DeploymentRow,
  outcome: { status: DeploymentRow["status"]; version: string; text: string },
  log: Logger,
): Promise<DeploymentRow> {
  const { db } = deps;
  const sleep = deps.sleep ?? realSleep;
  const { status, version, text } = outcome;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
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
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error({ err, attempt, status }, "recording the deployment outcome failed; retrying");
      // An outage (connection refused or lost) is waited out; only a failure the database answered
      // (a bug) falls back to marking the release, once the full outcome failed a few times.
      if (attempt >= FULL_ATTEMPTS_BEFORE_FALLBACK && connectionFailure(err) === null) {
        const marked = await markUnrecorded(deps, req, release, outcome, message).catch((fallbackErr: unknown) => {
          log.error({ err: fallbackErr, attempt }, "marking the outcome unrecorded failed; retrying");
          return null;
        });
        if (marked) return marked;
      }
      await sleep(Math.min(RETRY_BASE_MS * 2 ** (attempt - 1), RETRY_MAX_MS));
    }
  }
}

async function markUnrecorded(
  deps: DeployDeps,
  req: ReleaseRequest,
  release: DeploymentRow,
  outcome: { status: DeploymentRow["status"]; version: string; text: string },
  error: string,
): Promise<DeploymentRow> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const note = `[nightshift] outcome_unrecorded: ${outcome.status}; ${boundedText(error, 500)}`;
    const [marked] = await tx
      .update(deployments)
      .set({ status: "interrupted", output: boundedTail(`${outcome.text}\n${note}`, 16 * 1024), finishedAt: now })
      .where(and(eq(deployments.id, release.id), eq(deployments.status, "running")))
      .returning();
    if (!marked) {
      const [current] = await tx.select().from(deployments).where(eq(deployments.id, release.id));
      return current!;
    }
    const text = reliability.outcomeUnrecorded({
      env: req.env,
      version: outcome.version,
      status: reliability.statusWords[outcome.status] ?? outcome.status,
      error: boundedText(oneLine(error), 300),
    });
    await enqueue(tx, messages(req.system.groupChatId, text, { dedupeKey: `unrecorded:${release.id}` }), now);
    return marked;
  });
}
