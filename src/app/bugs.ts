// Use cases on bugs. Every state change is one transaction: conditional UPDATE on
// (id, expected status, row version) + its audit row + its outbox rows.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { bugEvents, bugs } from "../../drizzle/schema.js";
import type { Queryable } from "../adapters/db/database.js";
import { type RefusalReason, TRANSITIONS, type TransitionContext, transition } from "../core/machine.js";
import type { Actor, BugEvent, Env, Severity, Status } from "../core/model.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

export type BugRow = typeof bugs.$inferSelect;
export type BugEventRow = typeof bugEvents.$inferSelect;

export type ApplyResult =
  | { kind: "applied"; bug: BugRow; before: BugRow }
  | { kind: "already_handled"; bug: BugRow | null }
  | { kind: "refused"; reason: RefusalReason; message: string; bug: BugRow };

export interface ApplyInput {
  bugId: number;
  event: BugEvent;
  actor: Actor;
  now: Date;
  /** The row version the actor saw (a button's); a different current version → already handled. */
  expectedRowVersion?: number;
  context?: TransitionContext;
  note?: string;
  releaseId?: number;
  /** Notifications for this change, built from the updated bug. */
  notify?: (bug: BugRow, before: BugRow) => OutboxDraft[];
}

const actorColumns = (actor: Actor) => ({
  actorId: actor.kind === "user" ? actor.id : null,
  actorName: actor.kind === "user" ? actor.name : `system:${actor.name}`,
});

function noteOf(event: BugEvent, extra: string | undefined, machineNote: string | null): string | null {
  const parts = [extra, machineNote];
  if (event.type === "confirm") parts.push(`severity=${event.severity} flow=${event.flow}`);
  if (event.type === "hotfix") parts.push(`severity=${event.severity}`);
  return parts.filter(Boolean).join("; ") || null;
}

/** Applies one event inside the caller's transaction. Writes nothing unless it applies. */
export async function applyEventIn(q: Queryable, input: ApplyInput): Promise<ApplyResult> {
  const [before] = await q.select().from(bugs).where(eq(bugs.id, input.bugId));
  if (!before) return { kind: "already_handled", bug: null };
  if (input.expectedRowVersion !== undefined && before.rowVersion !== input.expectedRowVersion) {
    return { kind: "already_handled", bug: before };
  }
  const result = transition(
    {
      status: before.status,
      severity: before.severity,
      fixFlow: before.fixFlow,
      held: before.held,
      uatAhead: before.uatAhead ?? undefined,
    },
    input.event,
    input.actor,
    input.context,
  );
  if (!result.ok) {
    // Someone else already made this very move (e.g. a second admin's approval).
    if (result.reason === "wrong_status" && TRANSITIONS[input.event.type].to === before.status) {
      return { kind: "already_handled", bug: before };
    }
    return { kind: "refused", reason: result.reason, message: result.message, bug: before };
  }

  const [bug] = await q
    .update(bugs)
    .set({
      status: result.to,
      held: result.held,
      ...result.patch,
      rowVersion: sql`${bugs.rowVersion} + 1`,
      updatedAt: input.now,
    })
    .where(and(eq(bugs.id, before.id), eq(bugs.status, before.status), eq(bugs.rowVersion, before.rowVersion)))
    .returning();
  if (!bug) return { kind: "already_handled", bug: before };

  await q.insert(bugEvents).values({
    bugId: bug.id,
    fromStatus: before.status,
    toStatus: bug.status,
    event: input.event.type,
    ...actorColumns(input.actor),
    note: noteOf(input.event, input.note, result.note),
    releaseId: input.releaseId ?? ("releaseId" in input.event ? input.event.releaseId : null),
    at: input.now,
  });
  if (input.notify) await enqueue(q, input.notify(bug, before));
  return { kind: "applied", bug, before };
}

/** Applies one event in its own transaction. */
export function applyEvent(db: Queryable, input: ApplyInput): Promise<ApplyResult> {
  return db.transaction((tx) => applyEventIn(tx, input));
}

export interface NewBug {
  systemId: string;
  title: string;
  description: string;
  reporter: { id: number; name: string };
  foundInEnv: Env | null;
  severity: Severity | null;
  services: string[];
  module: string | null;
}

/** Files a bug as `submitted`, with its audit row and notifications, in one transaction. */
export function reportBug(
  db: Queryable,
  input: NewBug,
  now: Date,
  notify?: (bug: BugRow) => OutboxDraft[],
): Promise<BugRow> {
  return db.transaction(async (tx) => {
    const [bug] = await tx
      .insert(bugs)
      .values({
        systemId: input.systemId,
        title: input.title,
        description: input.description,
        reporterId: input.reporter.id,
        reporterName: input.reporter.name,
        foundInEnv: input.foundInEnv,
        severity: input.severity,
        services: input.services,
        module: input.module,
        status: "submitted",
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!bug) throw new Error("insert returned no bug");
    await tx.insert(bugEvents).values({
      bugId: bug.id,
      fromStatus: null,
      toStatus: "submitted",
      event: "report",
      actorId: input.reporter.id,
      actorName: input.reporter.name,
      note: null,
      at: now,
    });
    if (notify) await enqueue(tx, notify(bug));
    return bug;
  });
}

export async function getBug(q: Queryable, id: number): Promise<BugRow | null> {
  const [bug] = await q.select().from(bugs).where(eq(bugs.id, id));
  return bug ?? null;
}

export interface BugQuery {
  systemId?: string;
  statuses?: readonly Status[];
  limit?: number;
  offset?: number;
}

function bugFilter(query: BugQuery) {
  const filters = [
    query.systemId ? eq(bugs.systemId, query.systemId) : undefined,
    query.statuses && query.statuses.length > 0 ? inArray(bugs.status, [...query.statuses]) : undefined,
  ].filter((f) => f !== undefined);
  return filters.length ? and(...filters) : undefined;
}

/** Newest first. */
export function listBugs(q: Queryable, query: BugQuery = {}): Promise<BugRow[]> {
  return q
    .select()
    .from(bugs)
    .where(bugFilter(query))
    .orderBy(desc(bugs.id))
    .limit(query.limit ?? 50)
    .offset(query.offset ?? 0);
}

export async function countBugs(q: Queryable, query: Omit<BugQuery, "limit" | "offset"> = {}): Promise<number> {
  const [row] = await q.select({ n: sql<number>`count(*)::int` }).from(bugs).where(bugFilter(query));
  return row?.n ?? 0;
}

/** Counts per status for one system. */
export async function countByStatus(q: Queryable, systemId: string): Promise<Partial<Record<Status, number>>> {
  const rows = await q
    .select({ status: bugs.status, n: sql<number>`count(*)::int` })
    .from(bugs)
    .where(eq(bugs.systemId, systemId))
    .groupBy(bugs.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export function bugHistory(q: Queryable, bugId: number): Promise<BugEventRow[]> {
  return q.select().from(bugEvents).where(eq(bugEvents.bugId, bugId)).orderBy(bugEvents.id);
}
