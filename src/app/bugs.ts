// Use cases on bugs. Every state change is one transaction: conditional UPDATE on
// (id, expected status, row version) + its audit row + its outbox rows.
import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { bugEvents, bugs } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import { type BugPatch, type RefusalReason, TRANSITIONS, type TransitionContext, transition } from "../core/machine.js";
import type { Actor, BugEvent, Env, Severity, Status } from "../core/model.js";
import { normalizeModule } from "../core/text.js";
import type { Queryable } from "./db.js";
import { releasePinIn } from "./escalation.js";
import { prepared } from "./hot-path.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

export type BugRow = typeof bugs.$inferSelect;
export type BugEventRow = typeof bugEvents.$inferSelect;

export type ApplyResult =
  | { kind: "applied"; bug: BugRow; before: BugRow }
  | { kind: "already_handled"; bug: BugRow | null }
  | { kind: "refused"; reason: RefusalReason; message: string; bug: BugRow }
  /** `mayAct` said no to the bug as read (or to its absence): nothing written. */
  | { kind: "forbidden"; bug: null };

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
  /**
   * issue 15: whether the actor may act on the bug as read in the transaction (null: there is
   * none), for a caller whose authorization depends on the bug (a system admin's button): the
   * transaction's own read answers it instead of a read before. False → "forbidden", nothing written.
   */
  mayAct?: (bug: BugRow | null) => boolean;
}

/** The audit row's actor columns (bug_events). */
export const actorColumns = (actor: Actor) => ({
  actorId: actor.kind === "user" ? actor.id : null,
  actorName: actor.kind === "user" ? actor.name : `system:${actor.name}`,
});

function noteOf(event: BugEvent, extra: string | undefined, machineNote: string | null): string | null {
  const parts = [extra, machineNote];
  if (event.type === "confirm") {
    parts.push(`severity=${event.severity} flow=${event.flow}`);
    // issue 10: what the flow was chosen on, and an override's reason, in the audit trail
    if (event.foundIn) parts.push(`found_in=${event.foundIn}`);
    if (event.versions) parts.push(`uat=${event.versions.uat ?? "unknown"} prod=${event.versions.prod ?? "unknown"}`);
    if (event.overrideReason) parts.push(`override: ${event.overrideReason}`);
  }
  if (event.type === "requeue" && event.flow) parts.push(`retriage flow=${event.flow}`);
  if (event.type === "hotfix") parts.push(`severity=${event.severity}`);
  return parts.filter(Boolean).join("; ") || null;
}

type Decision =
  | { kind: "apply"; before: BugRow; to: Status; held: boolean; patch: BugPatch; note: string | null }
  | Exclude<ApplyResult, { kind: "applied" }>;

/** What `event` does to the bug as read: the transition to write, or why nothing is written. */
function decide(before: BugRow | undefined, input: Omit<ApplyInput, "bugId">): Decision {
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
  return { kind: "apply", before, to: result.to, held: result.held, patch: result.patch, note: result.note };
}

const eventRow = (bug: BugRow, before: BugRow, input: Omit<ApplyInput, "bugId">, machineNote: string | null) => ({
  bugId: bug.id,
  fromStatus: before.status,
  toStatus: bug.status,
  event: input.event.type,
  ...actorColumns(input.actor),
  note: noteOf(input.event, input.note, machineNote),
  releaseId: input.releaseId ?? ("releaseId" in input.event ? input.event.releaseId : null),
  at: input.now,
});

/** Applies one event inside the caller's transaction. Writes nothing unless it applies. */
export async function applyEventIn(q: Queryable, input: ApplyInput): Promise<ApplyResult> {
  const [before] = await prepared(q, "bug_by_id", (d) =>
    d
      .select()
      .from(bugs)
      .where(eq(bugs.id, sql.placeholder("id"))),
  ).execute({ id: input.bugId });
  if (input.mayAct && !input.mayAct(before ?? null)) return { kind: "forbidden", bug: null };
  const d = decide(before, input);
  if (d.kind !== "apply") return d;
  const [bug] = await q
    .update(bugs)
    .set({ status: d.to, held: d.held, ...d.patch, rowVersion: sql`${bugs.rowVersion} + 1`, updatedAt: input.now })
    .where(and(eq(bugs.id, d.before.id), eq(bugs.status, d.before.status), eq(bugs.rowVersion, d.before.rowVersion)))
    .returning()
    .prepare("apply_event")
    .execute();
  if (!bug) return { kind: "already_handled", bug: d.before };
  await q
    .insert(bugEvents)
    .values(eventRow(bug, d.before, input, d.note))
    .prepare("bug_event")
    .execute();
  if (input.notify) await enqueue(q, input.notify(bug, d.before), input.now);
  await releasePinIn(q, bug, input.now); // issue 12: a resolved critical bug is unpinned
  return { kind: "applied", bug, before: d.before };
}

export interface ApplyManyInput extends Omit<ApplyInput, "bugId" | "expectedRowVersion" | "notify"> {
  /**
   * The bugs as the caller read them. The event is decided on these rows and each is written only
   * if its status and row version are still the same; one changed since is already handled.
   */
  bugs: readonly BugRow[];
}

/** Ids per statement: well under Postgres' 65,535 bind parameters. */
const CHUNK = 1000;
const chunks = <T>(xs: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * applyEventIn with expected row versions, for one event on many bugs inside the caller's
 * transaction, set-based: the same conditional UPDATE (id, status, row version) and audit rows,
 * a chunk of bugs per statement instead of three statements per bug. Results in input order.
 */
export async function applyEventManyIn(q: Queryable, input: ApplyManyInput): Promise<ApplyResult[]> {
  const decisions = input.bugs.map((b) => decide(b, { ...input, expectedRowVersion: b.rowVersion }));
  // One UPDATE (and one INSERT … SELECT of the audit rows) per chunk of each distinct
  // (from, row version, to, held, patch, note): usually a single group for a whole window.
  const groups = new Map<string, Extract<Decision, { kind: "apply" }>[]>();
  for (const d of decisions) {
    if (d.kind !== "apply") continue;
    const key = JSON.stringify([d.before.status, d.before.rowVersion, d.to, d.held, d.patch, d.note]);
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const updated = new Map<number, BugRow>();
  for (const group of groups.values()) {
    const { before, to, held, patch, note } = group[0]!;
    for (const part of chunks(group)) {
      const rows = await q
        .update(bugs)
        .set({ status: to, held, ...patch, rowVersion: sql`${bugs.rowVersion} + 1`, updatedAt: input.now })
        .where(
          and(
            inArray(
              bugs.id,
              part.map((d) => d.before.id),
            ),
            eq(bugs.status, before.status),
            eq(bugs.rowVersion, before.rowVersion),
          ),
        )
        .returning();
      if (rows.length === 0) continue;
      for (const row of rows) updated.set(row.id, row);
      await insertEvents(
        q,
        rows.map((r) => r.id),
        eventRow(rows[0]!, before, input, note),
      );
    }
  }
  // Lost races: reported as the rows are now.
  const lost = decisions.flatMap((d) => (d.kind === "apply" && !updated.has(d.before.id) ? [d.before.id] : []));
  const now = new Map<number, BugRow>();
  for (const ids of chunks(lost)) {
    for (const row of await q.select().from(bugs).where(inArray(bugs.id, ids))) now.set(row.id, row);
  }
  return decisions.map((d) => {
    if (d.kind !== "apply") return d;
    const bug = updated.get(d.before.id);
    return bug
      ? { kind: "applied", bug, before: d.before }
      : { kind: "already_handled", bug: now.get(d.before.id) ?? null };
  });
}

/** The same audit row for each bug of `ids`, in id order, without a parameter per column and row. */
async function insertEvents(q: Queryable, ids: number[], row: ReturnType<typeof eventRow>): Promise<void> {
  const e = bugEvents;
  const columns = [e.bugId, e.fromStatus, e.toStatus, e.event, e.actorId, e.actorName, e.note, e.releaseId, e.at];
  await q.execute(sql`
    insert into ${e} (${sql.join(
      columns.map((c) => sql.identifier(c.name)),
      sql`, `,
    )})
    select ${bugs.id}, ${row.fromStatus}::text, ${row.toStatus}::text, ${row.event}::text, ${row.actorId}::bigint,
           ${row.actorName}::text, ${row.note}::text, ${row.releaseId}::bigint, ${row.at.toISOString()}::timestamptz
    from ${bugs} where ${inArray(bugs.id, ids)} order by ${bugs.id}`);
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
        // Normalized at intake, so a look-alike (「Ｆinancial\u200B」) is the module a freeze names.
        module: input.module === null ? null : normalizeModule(input.module) || null,
        status: "submitted",
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .prepare("report_bug")
      .execute();
    if (!bug) throw new Error("insert returned no bug");
    await tx
      .insert(bugEvents)
      .values({
        bugId: bug.id,
        fromStatus: null,
        toStatus: "submitted",
        event: "report",
        actorId: input.reporter.id,
        actorName: input.reporter.name,
        note: null,
        at: now,
      })
      .prepare("report_event")
      .execute();
    if (notify) await enqueue(tx, notify(bug), now);
    return bug;
  });
}

export async function getBug(q: Queryable, id: number): Promise<BugRow | null> {
  const [bug] = await q.select().from(bugs).where(eq(bugs.id, id));
  return bug ?? null;
}

export interface BugQuery {
  systemId?: string;
  /** Only these systems (an empty list matches nothing): the systems a viewer may see. */
  systemIds?: readonly string[];
  statuses?: readonly Status[];
  limit?: number;
  offset?: number;
}

function bugFilter(query: BugQuery) {
  const filters = [
    query.systemId ? eq(bugs.systemId, query.systemId) : undefined,
    query.systemIds ? (query.systemIds.length ? inArray(bugs.systemId, [...query.systemIds]) : sql`false`) : undefined,
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

/**
 * The modules a system knows, normalized and sorted: declared in its config (`modules`, month-end
 * freeze modules) or carried by one of its bugs. Module freezes and /report choose from these.
 */
export async function knownModules(
  q: Queryable,
  system: Pick<SystemConfig, "id" | "modules" | "freeze">,
): Promise<string[]> {
  const rows = await prepared(q, "known_modules", (d) =>
    d
      .selectDistinct({ module: bugs.module })
      .from(bugs)
      .where(and(eq(bugs.systemId, sql.placeholder("system")), isNotNull(bugs.module))),
  ).execute({ system: system.id });
  const all = [...(system.modules ?? []), ...(system.freeze.monthEnd?.modules ?? []), ...rows.map((r) => r.module!)];
  return [...new Set(all.map(normalizeModule).filter(Boolean))].sort();
}
