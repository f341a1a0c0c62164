// issue 12: incident records — one per rollback (written in the transaction that records the
// rollback's outcome): what was deployed and when, what broke, who, the kind of problem, the
// post-rollback watch result, the down-migration and the follow-up bug. /incident and /incidents
// read them; the follow-up button files a bug pre-filled from one.
import { and, desc, eq, inArray } from "drizzle-orm";
import { deployments, incidents } from "../../drizzle/schema.js";
import type { ProblemKind, RollbackWatchResult } from "../core/incident-kinds.js";
import { boundedTail, cleanText, headCodePoints } from "../core/text.js";
import { incidentRecords } from "../i18n/index.js";
import { type BugRow, reportBug } from "./bugs.js";
import type { Queryable } from "./db.js";
import type { DeploymentRow, IncidentDeps, UserActor } from "./incident-support.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

export type IncidentRow = typeof incidents.$inferSelect;

/** Records the incident of a rollback (in the caller's transaction); returns its row. */
export async function createIncident(
  tx: Queryable,
  input: {
    plan: {
      systemId: string;
      env: "uat" | "prod";
      fromVersion: string;
      targetVersion: string;
      undoIds: number[];
      bugIds: number[];
    };
    rollback: DeploymentRow;
    kind: ProblemKind;
    reason: string;
    actorName: string;
    now: Date;
  },
): Promise<IncidentRow> {
  const { plan } = input;
  const newestId = plan.undoIds[0] ?? null;
  const [undone] = newestId === null ? [] : await tx.select().from(deployments).where(eq(deployments.id, newestId));
  const [row] = await tx
    .insert(incidents)
    .values({
      systemId: plan.systemId,
      env: plan.env,
      problemKind: input.kind,
      reason: cleanText(input.reason),
      actorName: input.actorName,
      deployedId: newestId,
      deployedVersion: plan.fromVersion,
      deployedAt: undone?.startedAt ?? null,
      targetVersion: plan.targetVersion,
      undoIds: plan.undoIds,
      bugIds: plan.bugIds,
      rollbackId: input.rollback.id,
      rollbackStatus: input.rollback.status,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning();
  return row!;
}

/** Records the post-rollback watch's result with the messages that tell it (one transaction). */
export async function recordRollbackWatch(
  deps: Pick<IncidentDeps, "db" | "clock">,
  incidentId: number,
  result: RollbackWatchResult,
  detail: string | null,
  drafts: readonly OutboxDraft[] = [],
): Promise<void> {
  const now = deps.clock();
  await deps.db.transaction(async (tx) => {
    await tx
      .update(incidents)
      .set({
        watchResult: result,
        watchDetail: detail === null ? null : headCodePoints(cleanText(detail), 1000),
        updatedAt: now,
      })
      .where(eq(incidents.id, incidentId));
    if (drafts.length) await enqueue(tx, drafts, now);
  });
}

/** Records the down-migration's outcome with the message that tells it (one transaction). */
export async function recordMigrateDown(
  deps: Pick<IncidentDeps, "db" | "clock">,
  incidentId: number,
  outcome: { status: string; output: string },
  drafts: readonly OutboxDraft[] = [],
): Promise<void> {
  const now = deps.clock();
  await deps.db.transaction(async (tx) => {
    await tx
      .update(incidents)
      .set({
        migrateDownStatus: outcome.status,
        migrateDownOutput: boundedTail(cleanText(outcome.output), 4000),
        updatedAt: now,
      })
      .where(eq(incidents.id, incidentId));
    if (drafts.length) await enqueue(tx, drafts, now);
  });
}

export async function getIncident(q: Queryable, id: number): Promise<IncidentRow | null> {
  const [row] = await q.select().from(incidents).where(eq(incidents.id, id));
  return row ?? null;
}

/** The system's incidents, newest first. */
export function listIncidents(q: Queryable, systemIds: readonly string[], limit = 15): Promise<IncidentRow[]> {
  if (systemIds.length === 0) return Promise.resolve([]);
  return q
    .select()
    .from(incidents)
    .where(and(inArray(incidents.systemId, [...systemIds])))
    .orderBy(desc(incidents.createdAt), desc(incidents.id))
    .limit(limit);
}

export type FollowUpResult =
  | { kind: "filed"; bug: BugRow; incident: IncidentRow }
  | { kind: "already"; bugId: number }
  | { kind: "not_found" };

/**
 * The 「建立後續修正 bug」 button: files one bug pre-filled from the incident (title, description,
 * environment, the undone releases' services), once however often it is pressed.
 */
export async function fileFollowUpBug(
  deps: IncidentDeps,
  incidentId: number,
  actor: UserActor,
): Promise<FollowUpResult> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for("update");
    if (!incident) return { kind: "not_found" as const };
    if (incident.followUpBugId !== null) return { kind: "already" as const, bugId: incident.followUpBugId };
    const undone = incident.undoIds.length
      ? await tx.select().from(deployments).where(inArray(deployments.id, incident.undoIds))
      : [];
    const F = incidentRecords.followUp;
    const bug = await reportBug(
      tx,
      {
        systemId: incident.systemId,
        title: headCodePoints(F.title(incident.id, incident.reason), 200),
        description: F.description({
          incidentId: incident.id,
          env: incident.env,
          from: incident.deployedVersion,
          to: incident.targetVersion,
          kind: incident.problemKind,
          reason: incident.reason,
        }),
        reporter: { id: actor.id, name: actor.name },
        foundInEnv: incident.env,
        severity: null,
        services: [...new Set(undone.flatMap((d) => d.services))],
        module: null,
      },
      now,
    );
    const [updated] = await tx
      .update(incidents)
      .set({ followUpBugId: bug.id, updatedAt: now })
      .where(eq(incidents.id, incidentId))
      .returning();
    return { kind: "filed" as const, bug, incident: updated! };
  });
}
