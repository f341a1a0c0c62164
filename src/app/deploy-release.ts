// Executes one release: the environment's change lock is taken (one deploy, hotfix or rollback at a
// time per system and environment, across replicas), the deployments row is committed as
// `running`, then the target runs once per service in dependency order with a health check between
// steps, stopping at the first failure; the outcome (and the environment's versions) is recorded in
// one transaction, retried until it commits. Everything written comes through core/text first.
// executeRelease returns what happened (the row, the last step, and the value of the caller's
// outcome step, which runs inside the recording transaction: bug transitions and notifications).
import { eq, inArray } from "drizzle-orm";
import type { Logger } from "pino";
import { bugs, deployments } from "../../drizzle/schema.js";
import type { Config, SystemConfig } from "../config.js";
import type { DeploymentKind, Env } from "../core/model.js";
import { releaseNotes } from "../core/release.js";
import { boundedTail, boundedText, cleanText, oneLine } from "../core/text.js";
import { deployText, reliability } from "../i18n/index.js";
import { afterReleaseRecorded } from "./code-host.js";
import { connectionFailure, type Db, type Tx } from "./db.js";
import { acquireEnvLock, type EnvLock, type LivenessPort } from "./env-lock.js";
import { readEnvVersion, recordDeployed } from "./env-versions.js";
import { advance } from "./lifecycle.js";
import { messages } from "./messages.js";
import { enqueue } from "./outbox.js";
import type { DeployBug, DeployStep, ReadVersion, RunCheck, RunTarget, TargetProgress, VersionRead } from "./ports.js";
import { providerHistory } from "./provider-state.js"; // issue 11
import { environmentVersions, setEnvironmentVersion } from "./systems.js";

export {
  acquireEnvLock,
  EnvBusyError,
  type EnvLock,
  envLockSubject,
  type LivenessPort,
  releaseDeadEnvLocks,
} from "./env-lock.js";

export type DeploymentRow = typeof deployments.$inferSelect;

export interface DeployDeps {
  db: Db;
  config: Config;
  clock: () => Date;
  logger: Logger;
  runTarget: RunTarget;
  runCheck: RunCheck;
  /** Marks the rows this process runs, so recovery can tell a dead owner from a live one. */
  liveness?: LivenessPort;
  /** Waits between lock polls and outcome retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** issue 10: reads an environment's running version after a deploy that reported none. */
  readVersion?: ReadVersion;
}

/** Where a release is: step `n` of `total`, deploying `service` (null: a system without services). */
export interface ReleaseProgress {
  n: number;
  total: number;
  service: string | null;
}

/**
 * The caller's part of the outcome, run inside the transaction that records it (retried with it):
 * bug transitions and notifications. Its value comes back in ReleaseResult.outcome.
 */
export type OutcomeStep<T> = (tx: Tx, deployment: DeploymentRow, last: ReleaseProgress) => Promise<T>;

export interface ReleaseResult<T> {
  deployment: DeploymentRow;
  /** The last step started (the failing one when the release failed). */
  last: ReleaseProgress;
  /** The outcome step's value; null when the outcome was recorded without it (interrupted meanwhile). */
  outcome: T | null;
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
  /** Called before each step (`n` is 1-based): progress messages. */
  onStep?: (progress: ReleaseProgress) => Promise<void>;
  /**
   * issue 11: a platform target's build/rollout progress during the step (called at each of its
   * polls; the caller throttles). A failure here is logged and never fails the release.
   */
  onTargetProgress?: (at: ReleaseProgress, progress: TargetProgress) => Promise<void>;
  /** The environment's lock, when the caller took it already (rollback, hotfix); else taken here. */
  lock?: EnvLock;
  /** What this change is, for the "waiting for …" message (e.g. 「T2 部署」). */
  label?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------- a release ----------

/**
 * Runs the release and records its outcome; `outcome` (the caller's bug transitions and
 * notifications) runs in the recording transaction and its value is returned.
 */
export async function executeRelease<T = void>(
  deps: DeployDeps,
  req: ReleaseRequest,
  outcome?: OutcomeStep<T>,
): Promise<ReleaseResult<T>> {
  const envConfig = req.system.environments[req.env];
  const target = req.kind === "rollback" ? envConfig.rollback : envConfig.deploy;
  if (!target) return recordMissingTarget(deps, req, outcome);
  const holder = req.label ?? (req.kind === "rollback" ? reliability.holders.rollback : reliability.holders.hotfix);
  const lock = req.lock ?? (await acquireEnvLock(deps, { system: req.system, env: req.env, holder }));
  try {
    return await runLocked(deps, req, target, outcome);
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

const FIRST_STEP = (req: ReleaseRequest): ReleaseProgress => ({
  n: 1,
  total: Math.max(req.services.length, 1),
  service: req.services[0] ?? null,
});

async function recordMissingTarget<T>(
  deps: DeployDeps,
  req: ReleaseRequest,
  outcome?: OutcomeStep<T>,
): Promise<ReleaseResult<T>> {
  const previous = (await environmentVersions(deps.db, req.system.id))[req.env];
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(deployments)
      .values({
        ...baseRow(deps, req, previous),
        status: "failed",
        output: deployText.missingTarget(req.env, req.kind === "rollback"),
        finishedAt: deps.clock(),
      })
      .returning();
    const last = { ...FIRST_STEP(req), n: 0, service: null };
    return { deployment: row!, last, outcome: outcome ? await outcome(tx, row!, last) : null };
  });
}

async function runLocked<T>(
  deps: DeployDeps,
  req: ReleaseRequest,
  target: NonNullable<SystemConfig["environments"][Env]["deploy"]>,
  outcome?: OutcomeStep<T>,
): Promise<ReleaseResult<T>> {
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
  const { runTarget, runCheck } = deps;
  const output: string[] = [];
  let status: DeploymentRow["status"] = "succeeded";
  let reported: string | null = null;
  let last: ReleaseProgress = FIRST_STEP(req);
  const releaseBugs: DeployBug[] = req.bugIds.flatMap((id) => {
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
  });
  const notes = releaseNotes(bugRows);
  // issue 11: what platform targets recorded before (promote UAT's deployment, return to a version).
  const history = await providerHistory(db, {
    systemId: req.system.id,
    env: req.env,
    version: req.version,
    targetVersion: req.targetVersion ?? null,
  });
  let state: Record<string, string> | null = null;

  for (const [i, service] of steps.entries()) {
    last = { n: i + 1, total: steps.length, service };
    await req.onStep?.(last);
    const step: DeployStep = {
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
      bugIds: req.bugIds,
      bugs: releaseBugs,
      notes,
      history,
    };
    log.info({ service, step: i + 1, of: steps.length }, "deploy step");
    const at = last;
    const onProgress = req.onTargetProgress
      ? (p: TargetProgress) =>
          req.onTargetProgress!(at, p).catch((err: unknown) => log.warn({ err }, "progress line not updated"))
      : undefined;
    const result = await runTarget({ target, step, cwd: config.configDir, ...(onProgress ? { onProgress } : {}) });
    // Outside text: cleaned (NUL, lone surrogates) and cut on code points before it goes anywhere.
    const stepOutput = boundedTail(result.output ?? "", 16 * 1024);
    output.push(`${service ? `[${service}] ` : ""}${result.status}\n${stepOutput}`.trimEnd());
    const said = result.version ? boundedText(oneLine(result.version), 200) : "";
    reported = said || reported;
    state = result.state ?? state; // issue 11
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

  // issue 10: the environment's real version is what the target reported, else a fresh read (and the
  // release is recorded under it, so rollback targets are real versions); else the bot's name.
  const read = status === "succeeded" && !reported ? await readEnvVersion(deps, req.system, req.env) : null;
  const readVersion = read?.ok ? boundedText(oneLine(read.version), 200) : null;
  const version =
    reported ??
    readVersion ??
    boundedText(oneLine(req.kind === "rollback" ? (req.targetVersion ?? req.version) : req.version), 200);
  const text = boundedTail(output.join("\n"), 16 * 1024);
  return recordOutcome(deps, req, release, { status, version, text, last, state, reported, read }, log, outcome);
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
interface RunOutcome {
  status: DeploymentRow["status"];
  version: string;
  text: string;
  last: ReleaseProgress;
  /** issue 11: the platform target's state (deployments.provider_state). */
  state: Record<string, string> | null;
  /** issue 10: the version the target reported, and the fresh read when it reported none */
  reported?: string | null;
  read?: VersionRead | null;
}

async function recordOutcome<T>(
  deps: DeployDeps,
  req: ReleaseRequest,
  release: DeploymentRow,
  outcome: RunOutcome,
  log: Logger,
  step?: OutcomeStep<T>,
): Promise<ReleaseResult<T>> {
  const { db } = deps;
  const sleep = deps.sleep ?? realSleep;
  const { status, version, text, last, state } = outcome;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const now = deps.clock();
        const patch = { output: text, version, finishedAt: now, providerState: state };
        const [done] = await advance(tx, "deployments", release.id, ["running"], status, patch);
        if (!done) {
          // Another replica's start-up marked it interrupted meanwhile: its alert stands.
          log.warn({ status }, "deployment finished after it was marked interrupted");
          const [current] = await tx.select().from(deployments).where(eq(deployments.id, release.id));
          return { deployment: current!, last, outcome: null };
        }
        if (status === "succeeded") {
          await setEnvironmentVersion(tx, req.system.id, req.env, version, now);
          const reported = outcome.reported ?? null;
          await recordDeployed(tx, req.system.id, req.env, { reported, read: outcome.read ?? null, now });
        }
        const value = step ? await step(tx, done, last) : null;
        await afterReleaseRecorded(tx, req.system, done, now); // issue 13: release notes, linked issues
        log.info({ status, version }, "deployment finished");
        return { deployment: done, last, outcome: value };
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
        if (marked) return { deployment: marked, last, outcome: null };
      }
      await sleep(Math.min(RETRY_BASE_MS * 2 ** (attempt - 1), RETRY_MAX_MS));
    }
  }
}

async function markUnrecorded(
  deps: DeployDeps,
  req: ReleaseRequest,
  release: DeploymentRow,
  outcome: RunOutcome,
  error: string,
): Promise<DeploymentRow> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const note = `[nightshift] outcome_unrecorded: ${outcome.status}; ${boundedText(error, 500)}`;
    const patch = { output: boundedTail(`${outcome.text}\n${note}`, 16 * 1024), finishedAt: now };
    const [marked] = await advance(tx, "deployments", release.id, ["running"], "interrupted", patch);
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
