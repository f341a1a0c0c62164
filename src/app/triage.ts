// Triage helpers: the confirm event with its versions, the queue of submitted bugs, the group card.
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { bugs, outbox } from "../../drizzle/schema.js";
import type { BugEvent, Env, PipelineFlow, Severity } from "../core/model.js";
import type { BugRow } from "./bugs.js";
import type { Queryable } from "./db.js";
import type { RecordedVersions } from "./env-versions.js";

/**
 * The confirm event of a triage (issue 10): the found-in environment as corrected, and the versions
 * the flow is chosen on (recorded on the bug and in the audit trail). An override's reason is added by
 * the caller when the flow contradicts them (core/flow.ts needsOverride).
 */
export function confirmEvent(
  severity: Severity,
  flow: PipelineFlow,
  foundIn: Env | null,
  versions: RecordedVersions,
): Extract<BugEvent, { type: "confirm" }> {
  return {
    type: "confirm",
    severity,
    flow,
    ...(foundIn ? { foundIn } : {}),
    versions: { uat: versions.uat.version, prod: versions.prod.version },
  };
}

/**
 * The oldest submitted bug of `systemIds` after `afterId` (0 = from the start), and how many of
 * theirs are submitted in all.
 */
export async function nextSubmitted(
  q: Queryable,
  systemIds: readonly string[],
  afterId = 0,
): Promise<{ bug: BugRow | null; left: number }> {
  if (systemIds.length === 0) return { bug: null, left: 0 };
  const mine = inArray(bugs.systemId, [...systemIds]);
  const [bug] = await q
    .select()
    .from(bugs)
    .where(and(eq(bugs.status, "submitted"), mine, gt(bugs.id, afterId)))
    .orderBy(asc(bugs.id))
    .limit(1);
  const [count] = await q
    .select({ n: sql<number>`count(*)::int` })
    .from(bugs)
    .where(and(eq(bugs.status, "submitted"), mine));
  return { bug: bug ?? null, left: count?.n ?? 0 };
}

/** The dedupe key of the card posted to the group when a bug is reported. */
export const cardKey = (bugId: number): string => `card:${bugId}`;

/** The outbox row that posted the bug's card to the group (its sent message can be edited later). */
export async function cardOutboxRow(
  q: Queryable,
  bugId: number,
): Promise<{ id: number; chatId: number; sentMessageId: number | null } | null> {
  const [row] = await q
    .select({ id: outbox.id, chatId: outbox.chatId, sentMessageId: outbox.sentMessageId })
    .from(outbox)
    .where(eq(outbox.dedupeKey, cardKey(bugId)));
  return row ?? null;
}
