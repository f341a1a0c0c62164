// Escalation: a critical bug mentions the on-call and the admins at once and its message stays
// pinned in the group until the bug is resolved; a high bug mentions the admins. Everything goes
// through the outbox under dedupe keys (once per bug and severity, across restarts and replicas):
// the mention message, then pinChatMessage / unpinChatMessage rows that point at it (the
// dispatcher fills in its message id once it is sent). `reconcileEscalations` (the incident sweep)
// catches a report whose escalation was lost to a crash and releases pins of resolved bugs.
import { and, eq, gt, inArray, notExists, sql } from "drizzle-orm";
import { bugs, outbox } from "../../drizzle/schema.js";
import type { Config } from "../config.js";
import { mayMergeBackToUat } from "../core/machine.js";
import { isTerminal, type Severity } from "../core/model.js";
import { boundedText, oneLine } from "../core/text.js";
import { localParts } from "../core/windows.js";
import { escalation, type MentionPerson } from "../i18n/index.js";
import type { BugRow } from "./bugs.js";
import type { Queryable } from "./db.js";
import { userNames } from "./members.js";
import { getOncall } from "./oncall.js";
import { enqueue, notice } from "./outbox.js";
import { adminIds, systemRegistry } from "./systems.js";

export interface EscalationDeps {
  db: Queryable;
  config: Pick<Config, "adminIds" | "systems">;
}

const messageKey = (bugId: number, severity: "critical" | "high") => `escalation:${severity}:${bugId}`;
const pinKey = (bugId: number) => `escalation:pin:${bugId}`;
const unpinKey = (bugId: number) => `escalation:unpin:${bugId}`;

/** Resolved: a terminal status (closed, rejected, …), or a hotfix live in PROD with nothing to merge back. */
export function isResolved(bug: Pick<BugRow, "status" | "fixFlow" | "uatAhead">): boolean {
  return isTerminal(bug) || (bug.status === "deployed_prod" && bug.fixFlow === "hotfix" && !mayMergeBackToUat(bug));
}

const escalates = (s: Severity | null | undefined): s is "critical" | "high" => s === "critical" || s === "high";

/**
 * Escalates a bug reported or triaged as high/critical (`severity`: the triage's choice when it is not
 * stored on the bug yet). Idempotent: a second call for the same bug and severity writes nothing.
 */
export async function escalateBug(
  deps: EscalationDeps,
  bugId: number,
  now: Date,
  severity?: Severity | null,
): Promise<void> {
  const [bug] = await deps.db.select().from(bugs).where(eq(bugs.id, bugId));
  const sev = severity ?? bug?.severity;
  if (!bug || !escalates(sev) || isResolved(bug)) return;
  const system = systemRegistry(deps.config).find(bug.systemId);
  if (!system) return;
  const [done] = await deps.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.dedupeKey, messageKey(bug.id, sev)));
  if (done) return;
  const ids = [...new Set([...(await adminIds(deps.db, deps.config.adminIds)), ...(system.adminIds ?? [])])];
  const oncall = sev === "critical" ? await getOncall(deps.db, system.id, localParts(now, system.timezone).date) : null;
  const names = await userNames(deps.db, ids);
  const admins: MentionPerson[] = ids.map((id) => ({ id, name: names.get(id) ?? null }));
  const shown = {
    id: bug.id,
    severity: sev,
    title: boundedText(oneLine(bug.title), 200),
    reporterName: bug.reporterName,
  };
  await deps.db.transaction(async (tx) => {
    if (sev === "high") {
      const text = escalation.high({ bug: shown, admins });
      await enqueue(tx, [notice(system.groupChatId, text, { dedupeKey: messageKey(bug.id, sev), urgent: true })], now);
      return;
    }
    const text = escalation.critical({
      bug: shown,
      oncall: oncall ? { id: oncall.userId, name: oncall.name } : null,
      admins: admins.filter((a) => a.id !== oncall?.userId),
    });
    const sent = await enqueue(
      tx,
      [notice(system.groupChatId, text, { dedupeKey: messageKey(bug.id, sev), urgent: true })],
      now,
    );
    const message = sent.at(-1);
    if (message === undefined) return; // another caller won
    // Pinned once sent (https://core.telegram.org/bots/api#pinchatmessage: chat_id, message_id).
    await enqueue(
      tx,
      [
        {
          chatId: system.groupChatId,
          method: "pinChatMessage",
          payload: { disable_notification: false },
          editsOutboxId: message,
          dedupeKey: pinKey(bug.id),
          urgent: true,
        },
      ],
      now,
    );
  });
}

/**
 * Inside the caller's transaction: when `bug` is resolved and its escalation was pinned, unpins it
 * (https://core.telegram.org/bots/api#unpinchatmessage). Idempotent. `resolved` defaults to a
 * terminal status (a hotfix's uatAhead is written after its event: the sweep judges that case).
 */
export async function releasePinIn(
  q: Queryable,
  bug: Pick<BugRow, "id" | "status" | "fixFlow" | "uatAhead">,
  now: Date,
  resolved: boolean = isTerminal(bug),
): Promise<void> {
  if (!resolved) return;
  const [pin] = await q
    .select({ chatId: outbox.chatId, editsOutboxId: outbox.editsOutboxId })
    .from(outbox)
    .where(eq(outbox.dedupeKey, pinKey(bug.id)));
  if (!pin?.editsOutboxId) return;
  const [released] = await q
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.dedupeKey, unpinKey(bug.id)));
  if (released) return;
  await enqueue(
    q,
    [
      {
        chatId: pin.chatId,
        method: "unpinChatMessage",
        payload: {},
        editsOutboxId: pin.editsOutboxId,
        dedupeKey: unpinKey(bug.id),
      },
    ],
    now,
  );
}

/** A report escalated this recently and lost (a crash between the report and its escalation) is caught up. */
const CATCH_UP_MS = 60 * 60_000;

/** The sweep: escalations lost to a crash, pins of bugs resolved by any path. */
export async function reconcileEscalations(deps: EscalationDeps & { clock: () => Date }): Promise<void> {
  const now = deps.clock();
  const keyOf = sql`'escalation:' || ${bugs.severity} || ':' || ${bugs.id}`;
  const missed = await deps.db
    .select({ id: bugs.id })
    .from(bugs)
    .where(
      and(
        inArray(bugs.severity, ["high", "critical"]),
        eq(bugs.status, "submitted"),
        gt(bugs.createdAt, new Date(now.getTime() - CATCH_UP_MS)),
        notExists(deps.db.select({ one: sql`1` }).from(outbox).where(eq(outbox.dedupeKey, keyOf))),
      ),
    );
  for (const b of missed) await escalateBug(deps, b.id, now);
  const pinned = await deps.db
    .select()
    .from(bugs)
    .where(
      and(
        inArray(bugs.status, ["closed", "rejected", "uat_merged", "deployed_prod"]),
        sql`exists (select 1 from ${outbox} where ${outbox.dedupeKey} = 'escalation:pin:' || ${bugs.id})`,
        sql`not exists (select 1 from ${outbox} where ${outbox.dedupeKey} = 'escalation:unpin:' || ${bugs.id})`,
      ),
    );
  for (const bug of pinned) await deps.db.transaction((tx) => releasePinIn(tx, bug, now, isResolved(bug)));
}
