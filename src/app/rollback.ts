// Rollback of an environment to an earlier release: plan → (reason, confirm) → run the rollback
// target → mark the undone releases, send their bugs back where they were and hold them → template
// → post-rollback check. Claims live in the database so one confirm (or one failing watch) rolls back once.
import { and, desc, eq, inArray, ne } from "drizzle-orm";
import { bugEvents, bugs, deployments, environments, rollbackPlans } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import type { ProblemKind } from "../core/incident-kinds.js";
import type { Actor, Env, Status } from "../core/model.js";
import { dependencyOrder } from "../core/release.js";
import { cleanText, tailCodePoints } from "../core/text.js";
import { formatDateTime, localParts } from "../core/windows.js";
import { incidents, reliability } from "../i18n/index.js";
import { applyEventIn, type BugRow } from "./bugs.js";
import { claim, release } from "./claims.js";
import type { Queryable, Tx } from "./db.js";
import { acquireEnvLock, EnvBusyError, type EnvLock, executeRelease } from "./deploy-release.js";
import { refreshVersions } from "./env-versions.js";
import { actorName, type DeploymentRow, escalationTargets, type IncidentDeps, systemById } from "./incident-support.js";
import { createIncident, type IncidentRow, recordMigrateDown } from "./incidents.js";
import { advance } from "./lifecycle.js";
import { getOncall } from "./oncall.js";
import { enqueue, notice, noticeEdit } from "./outbox.js";
import { dataEscalationText, rollbackExecutedNotices, rollbackFailedNotices } from "./rollback-notices.js";
import { environmentVersions } from "./systems.js";
import { type RollbackWatchOutcome, runRollbackWatch } from "./watch-rounds.js";

const T = incidents.rollback;
export const AUTO_ROLLBACK_ACTOR = "system:auto-rollback";

export interface RollbackPlan {
  systemId: string;
  env: Env;
  fromVersion: string;
  targetVersion: string;
  /** The releases being undone, newest first. */
  undoIds: number[];
  bugIds: number[];
  /** Reverse dependency order. */
  services: string[];
}

export type PlanResult = { ok: true; plan: RollbackPlan } | { ok: false; message: string };

/**
 * What a rollback would do. Default target: the version before the newest release in the
 * environment; `undoId` picks that release (a watch); `version` an explicit earlier version.
 */
export async function planRollback(
  q: Queryable,
  system: SystemConfig,
  env: Env,
  options: { version?: string; undoId?: number } = {},
): Promise<PlanResult> {
  if (!system.environments[env].rollback) return { ok: false, message: T.noRollbackTarget(env) };
  const [envRow] = await q
    .select()
    .from(environments)
    .where(and(eq(environments.systemId, system.id), eq(environments.env, env)));
  const current = envRow?.currentVersion ?? null;
  if (!current) return { ok: false, message: T.noVersion(env) };
  const history = await q
    .select()
    .from(deployments)
    .where(and(eq(deployments.systemId, system.id), eq(deployments.env, env), eq(deployments.status, "succeeded")))
    .orderBy(desc(deployments.startedAt), desc(deployments.id))
    .limit(200);
  const newest = history.find((d) => d.kind !== "rollback");
  if (options.undoId !== undefined && newest?.id !== options.undoId) return { ok: false, message: T.changed };
  const target = options.version ?? newest?.previousVersion ?? envRow?.previousVersion ?? null;
  if (!target) return { ok: false, message: T.noTarget(env) };
  if (target === current) return { ok: false, message: T.sameVersion(target) };

  const undone: DeploymentRow[] = [];
  let found = false;
  for (const d of history) {
    if (d.version === target) {
      found = true;
      break;
    }
    if (d.kind !== "rollback") undone.push(d);
  }
  if (!found && target !== envRow?.previousVersion && target !== newest?.previousVersion)
    return { ok: false, message: T.unknownVersion(env, target) };
  if (undone.length === 0) return { ok: false, message: T.noTarget(env) };

  const touched = new Set(undone.flatMap((d) => d.services));
  const declared = dependencyOrder(system.services);
  const services = [...declared.filter((s) => touched.has(s)), ...[...touched].filter((s) => !declared.includes(s))];
  return {
    ok: true,
    plan: {
      systemId: system.id,
      env,
      fromVersion: current,
      targetVersion: target,
      undoIds: undone.map((d) => d.id),
      bugIds: [...new Set(undone.flatMap((d) => d.bugIds))],
      services: services.reverse(),
    },
  };
}

/** The preview an admin sees before giving a reason and confirming (HTML). */
export async function describePlan(q: Queryable, system: SystemConfig, plan: RollbackPlan): Promise<string> {
  const [releases, affected] = await Promise.all([
    q.select().from(deployments).where(inArray(deployments.id, plan.undoIds)).orderBy(desc(deployments.id)),
    plan.bugIds.length ? q.select().from(bugs).where(inArray(bugs.id, plan.bugIds)).orderBy(bugs.id) : [],
  ]);
  return T.plan({
    env: plan.env,
    from: plan.fromVersion,
    to: plan.targetVersion,
    releases: releases.map((r) => ({ id: r.id, version: r.version, at: formatDateTime(r.startedAt, system.timezone) })),
    bugs: affected,
  });
}

/** A plan stored for its confirm button (table rollback_plans; lifecycle in core/lifecycles.ts). */
export type StoredPlan = typeof rollbackPlans.$inferSelect;

/** Stores a plan with its reason for a confirm button; returns the plan id (the button's id). */
export async function prepareRollback(
  deps: IncidentDeps,
  input: { plan: RollbackPlan; actor: Extract<Actor, { kind: "user" }>; reason: string; kind?: ProblemKind },
): Promise<number> {
  const now = deps.clock();
  const [stored] = await deps.db
    .insert(rollbackPlans)
    .values({
      ...input.plan,
      status: "pending",
      actorId: input.actor.id,
      actorName: input.actor.name,
      reason: input.reason,
      problemKind: input.kind ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: rollbackPlans.id });
  return stored!.id;
}

export type RollbackOutcome =
  | {
      kind: "rolled_back";
      deployment: DeploymentRow;
      /** The post-rollback watch's verdict (issue 12). */
      watch: RollbackWatchOutcome;
      bugs: BugRow[];
      incident: IncidentRow | null;
    }
  | { kind: "failed"; deployment: DeploymentRow }
  | { kind: "refused"; message: string }
  | { kind: "already_handled" };

/** The confirm button, step 1: claims the stored plan so a second press finds it taken. */
export async function claimRollbackPlan(
  deps: IncidentDeps,
  planId: number,
): Promise<StoredPlan | "already_handled" | "outdated"> {
  const [claimed] = await advance(deps.db, "rollback_plans", planId, ["pending"], "confirmed", {
    updatedAt: deps.clock(),
  });
  if (claimed) return claimed;
  const [known] = await deps.db.select().from(rollbackPlans).where(eq(rollbackPlans.id, planId));
  return known ? "already_handled" : "outdated";
}

/** Step 2: re-plans against the current state (it may have moved since the preview) and rolls back. */
export async function runRollbackPlan(
  deps: IncidentDeps,
  stored: StoredPlan,
  actor: Extract<Actor, { kind: "user" }>,
): Promise<RollbackOutcome> {
  const system = systemById(deps.config, stored.systemId);
  const fresh = await planRollback(deps.db, system, stored.env, { version: stored.targetVersion });
  const outcome: RollbackOutcome =
    !fresh.ok || fresh.plan.fromVersion !== stored.fromVersion || fresh.plan.undoIds[0] !== stored.undoIds[0]
      ? { kind: "refused", message: fresh.ok ? T.changed : fresh.message }
      : await executeRollback(deps, {
          system,
          plan: fresh.plan,
          actor,
          reason: stored.reason,
          kind: stored.problemKind ?? "functional",
        });
  const to = outcome.kind === "rolled_back" ? "done" : "failed";
  await advance(deps.db, "rollback_plans", stored.id, ["confirmed"], to, { updatedAt: deps.clock() });
  return outcome;
}

export async function cancelRollback(deps: IncidentDeps, planId: number): Promise<boolean> {
  const rows = await advance(deps.db, "rollback_plans", planId, ["pending"], "cancelled", { updatedAt: deps.clock() });
  return rows.length === 1;
}

/** What a rollback is asked to do: the plan, who, why, and the kind of problem (default functional). */
export interface RollbackInput {
  system: SystemConfig;
  plan: RollbackPlan;
  actor: Actor;
  reason: string;
  kind?: ProblemKind;
}

/**
 * Runs a planned rollback (chat or watch). A release is rolled back at most once at a time. After it
 * (the environment's lock released): the post-rollback watch (issue 12), awaited.
 */
export async function executeRollback(deps: IncidentDeps, input: RollbackInput): Promise<RollbackOutcome> {
  const outcome = await executeRollbackLocked(deps, input);
  if (outcome.kind !== "rolled_back" || !outcome.incident) return outcome;
  const watch = await runRollbackWatch(deps, {
    system: input.system,
    env: input.plan.env,
    version: input.plan.targetVersion,
    incidentId: outcome.incident.id,
  });
  return { ...outcome, watch };
}

async function executeRollbackLocked(deps: IncidentDeps, input: RollbackInput): Promise<RollbackOutcome> {
  const { system, actor } = input;
  const name = actorName(actor);
  // One change at a time per environment: wait for a deploy or hotfix in progress (the group is
  // told once), then re-plan — the environment may have moved while we waited.
  const lock = await acquireEnvLock(deps, {
    system,
    env: input.plan.env,
    holder: reliability.holders.rollback,
  }).catch((err: unknown) => {
    if (err instanceof EnvBusyError) return err;
    throw err;
  });
  if (lock instanceof EnvBusyError) return { kind: "refused", message: lock.message };
  try {
    await refreshVersions(deps, system); // issue 10: the real versions, read before a rollback
    const fresh = await planRollback(deps.db, system, input.plan.env, { version: input.plan.targetVersion });
    if (
      !fresh.ok ||
      fresh.plan.fromVersion !== input.plan.fromVersion ||
      fresh.plan.undoIds[0] !== input.plan.undoIds[0]
    ) {
      // A change that ran meanwhile (we may have waited for it) moved the environment: say so.
      const now = (await environmentVersions(deps.db, system.id))[input.plan.env];
      return { kind: "refused", message: fresh.ok || now !== input.plan.fromVersion ? T.changed : fresh.message };
    }
    return await rollbackLocked(deps, { ...input, plan: fresh.plan }, lock, name);
  } finally {
    await lock.release().catch((err: unknown) => deps.logger.error({ err }, "environment lock not released"));
  }
}

async function rollbackLocked(
  deps: IncidentDeps,
  input: RollbackInput,
  lock: EnvLock,
  name: string,
): Promise<RollbackOutcome> {
  const { system, plan, actor, reason } = input;
  const kind = input.kind ?? "functional";
  const where = { chatId: system.groupChatId, timezone: system.timezone };
  const undoId = plan.undoIds[0]!; // one rollback per release: claimed `rollback-of` it
  const owner = deps.liveness?.instanceId ?? null;
  if (!(await claim(deps.db, "rollback-of", undoId, { by: name, reason }, deps.clock(), owner)))
    return { kind: "already_handled" };

  let reverted: BugRow[] = [];
  let incident = null as IncidentRow | null; // set by onOutcome (a cast: TS does not see closure writes)
  // Runs in the transaction that records the rollback's outcome.
  const onOutcome = async (tx: Tx, deployment: DeploymentRow) => {
    // issue 12: every rollback is an incident record, written with its outcome.
    incident = await createIncident(tx, {
      plan,
      rollback: deployment,
      kind,
      reason,
      actorName: name,
      now: deps.clock(),
    });
    if (deployment.status !== "succeeded") {
      await release(tx, "rollback-of", undoId);
      const oncall = await oncallName(tx, deps, system);
      await enqueue(tx, rollbackFailedNotices(where, plan, deployment, oncall), deps.clock());
      return;
    }
    const now = deps.clock();
    await advance(tx, "deployments", plan.undoIds, ["succeeded"], "rolled_back");
    reverted = await revertBugs(tx, plan, deployment, actor, now);
    await enqueue(tx, rollbackExecutedNotices(where, plan, { reason, actor, now, reverted }), now);
  };
  let deployment: DeploymentRow;
  try {
    ({ deployment } = await executeRelease(
      deps,
      {
        system,
        env: plan.env,
        kind: "rollback",
        bugIds: plan.bugIds,
        services: plan.services,
        version: plan.targetVersion,
        targetVersion: plan.targetVersion,
        rollsBackId: plan.undoIds[0]!,
        actorName: name,
        reason,
        lock,
      },
      onOutcome,
    ));
  } catch (error) {
    await release(deps.db, "rollback-of", undoId); // no outcome recorded: an admin may try again
    throw error;
  }
  if (deployment.status !== "succeeded") return { kind: "failed", deployment };
  if (kind === "data" && incident) await escalateDataRisk(deps, input, lock, deployment, incident);
  // The post-rollback watch runs once the lock is released (executeRollback).
  return { kind: "rolled_back", deployment, watch: "stable", bugs: reverted, incident };
}

/**
 * issue 12: a data-corruption risk — after the rollback, the on-call, the admins and the DBAs
 * (`roles.dba`) are mentioned at once; the environment's down-migration (`migrateDown`) runs, still
 * under the environment's lock, and its result is edited into that message and the incident.
 */
async function escalateDataRisk(
  deps: IncidentDeps,
  input: RollbackInput,
  _lock: EnvLock,
  rollback: DeploymentRow,
  incident: IncidentRow,
): Promise<void> {
  const { system, plan } = input;
  const who = await escalationTargets(deps.db, deps.config, system, deps.clock());
  const migrateDown = system.environments[plan.env].migrateDown ?? null;
  const text = (state: Parameters<typeof dataEscalationText>[1], output = "") =>
    dataEscalationText(
      { incidentId: incident.id, env: plan.env, version: plan.targetVersion, reason: input.reason },
      state,
      who,
      output,
    );
  const [sent] = await enqueue(
    deps.db,
    [notice(system.groupChatId, text(migrateDown ? "running" : "none"), { urgent: true })],
    deps.clock(),
  );
  if (!migrateDown) return;
  let status: "succeeded" | "failed" | "timed_out";
  let output: string;
  try {
    const result = await deps.runTarget({
      target: migrateDown,
      cwd: deps.config.configDir,
      step: {
        releaseId: rollback.id,
        system: system.id,
        env: plan.env,
        kind: "rollback",
        version: plan.targetVersion,
        targetVersion: plan.targetVersion,
        service: null,
        services: [],
        actor: rollback.actorName,
        reason: input.reason,
        bugIds: plan.bugIds,
        bugs: [],
        notes: [],
      },
    });
    status = result.status;
    output = result.output;
  } catch (error) {
    status = "failed";
    output = (error as Error).message;
  }
  const edited = text(status, tailCodePoints(cleanText(output), 1500));
  await recordMigrateDown(deps, incident.id, { status, output }, [
    sent
      ? noticeEdit(system.groupChatId, sent, edited, { urgent: true })
      : notice(system.groupChatId, edited, { urgent: true }),
  ]);
}

/** Each bug of the undone releases goes back to its status before the oldest of them, held. */
async function revertBugs(
  tx: Queryable,
  plan: RollbackPlan,
  rollback: DeploymentRow,
  actor: Actor,
  now: Date,
): Promise<BugRow[]> {
  if (plan.bugIds.length === 0) return [];
  const events = await tx
    .select()
    .from(bugEvents)
    .where(
      and(
        inArray(bugEvents.releaseId, plan.undoIds),
        inArray(bugEvents.bugId, plan.bugIds),
        ne(bugEvents.event, "rollback"),
      ),
    )
    .orderBy(bugEvents.id);
  const before = new Map<number, Status>();
  for (const ev of events) if (!before.has(ev.bugId) && ev.fromStatus) before.set(ev.bugId, ev.fromStatus as Status);
  const moved: BugRow[] = [];
  for (const [bugId, toStatus] of before) {
    const result = await applyEventIn(tx, {
      bugId,
      event: { type: "rollback", releaseId: rollback.id, toStatus },
      actor: actor.kind === "user" ? { ...actor, isAdmin: true } : actor,
      now,
      note: `rollback #${rollback.id} to ${plan.targetVersion}: ${rollback.reason ?? ""}`,
    });
    if (result.kind === "applied") moved.push(result.bug);
  }
  return moved;
}

/** Automatic rollbacks in a row in this environment, newest first, up to a release that stood. */
export async function consecutiveAutoRollbacks(
  q: Queryable,
  systemId: string,
  env: Env,
  excludingId: number,
): Promise<number> {
  const rows = await q
    .select()
    .from(deployments)
    .where(and(eq(deployments.systemId, systemId), eq(deployments.env, env), ne(deployments.id, excludingId)))
    .orderBy(desc(deployments.startedAt), desc(deployments.id))
    .limit(50);
  let count = 0;
  for (const d of rows) {
    if (d.kind === "rollback" && d.status === "succeeded") {
      if (d.actorName !== AUTO_ROLLBACK_ACTOR) break;
      count++;
    } else if (d.status === "succeeded") break;
  }
  return count;
}

/** Re-queues a held bug (a button under the rollback message). */
export async function requeueBug(
  deps: IncidentDeps,
  input: { bugId: number; rowVersion: number; actor: Extract<Actor, { kind: "user" }> },
) {
  return deps.db.transaction((tx) =>
    applyEventIn(tx, {
      bugId: input.bugId,
      event: { type: "requeue" },
      actor: input.actor,
      now: deps.clock(),
      expectedRowVersion: input.rowVersion,
    }),
  );
}

/** Recent deployments of a system, rollbacks included, newest first. */
export function deploymentHistory(q: Queryable, systemId: string, limit = 15): Promise<DeploymentRow[]> {
  return q
    .select()
    .from(deployments)
    .where(eq(deployments.systemId, systemId))
    .orderBy(desc(deployments.startedAt), desc(deployments.id))
    .limit(limit);
}

export const historyLines = (rows: DeploymentRow[], tz: string): string[] =>
  rows.map((d) => T.historyLine({ ...d, at: formatDateTime(d.startedAt, tz), actor: d.actorName }));

async function oncallName(q: Queryable, deps: IncidentDeps, system: SystemConfig): Promise<string | null> {
  const day = localParts(deps.clock(), system.timezone).date;
  return (await getOncall(q, system.id, day))?.name ?? null;
}

/** 立即回滾 under a failed watch: undo that very release (if it is still the newest). */
export async function rollbackDeployment(
  deps: IncidentDeps,
  deploymentId: number,
  actor: Extract<Actor, { kind: "user" }>,
  reason: string,
): Promise<RollbackOutcome> {
  const [deployment] = await deps.db.select().from(deployments).where(eq(deployments.id, deploymentId));
  if (deployment?.status !== "succeeded") return { kind: "already_handled" };
  const system = systemById(deps.config, deployment.systemId);
  const planned = await planRollback(deps.db, system, deployment.env, { undoId: deployment.id });
  if (!planned.ok) return { kind: "refused", message: planned.message };
  // 立即回滾 under a failed watch: a smoke/health failure is a functional regression.
  return executeRollback(deps, { system, plan: planned.plan, actor, reason, kind: "functional" });
}
