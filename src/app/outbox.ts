import { desc, eq, or } from "drizzle-orm";
import { outbox } from "../../drizzle/schema.js";
import type { Queryable } from "../adapters/db/database.js";

/** A message to deliver, written in the same transaction as the change it reports. */
export interface OutboxDraft {
  chatId: number;
  method?: "sendMessage" | "editMessageText" | "editMessageReplyMarkup";
  /** Bot API parameters without chat_id (and without message_id when editsOutboxId is set). */
  payload: Record<string, unknown>;
  /** Rows with the same key are written once. */
  dedupeKey?: string;
  /** Edit the message another outbox row sent (its message_id is filled in at send time). */
  editsOutboxId?: number;
  /** Earliest send time (reminders). */
  notBefore?: Date;
}

const sameContent = (a: Record<string, unknown>, b: Record<string, unknown>, method: string): boolean =>
  (method === "editMessageReplyMarkup" || a.text === b.text) &&
  JSON.stringify(a.reply_markup ?? null) === JSON.stringify(b.reply_markup ?? null);

/**
 * Drops edits that would leave their message as it already is (or will be, once the rows before
 * them are sent): Telegram refuses an edit that changes nothing.
 */
async function withoutNoopEdits(q: Queryable, drafts: readonly OutboxDraft[]): Promise<OutboxDraft[]> {
  const kept: OutboxDraft[] = [];
  for (const d of drafts) {
    const target = d.editsOutboxId;
    if (target === undefined) {
      kept.push(d);
      continue;
    }
    const pendingHere = kept.findLast((k) => k.editsOutboxId === target);
    const [latest] = pendingHere
      ? [pendingHere]
      : await q
          .select({ payload: outbox.payload })
          .from(outbox)
          .where(or(eq(outbox.id, target), eq(outbox.editsOutboxId, target)))
          .orderBy(desc(outbox.id))
          .limit(1);
    if (!latest || !sameContent(latest.payload, d.payload, d.method ?? "sendMessage")) kept.push(d);
  }
  return kept;
}

/**
 * Writes drafts to the outbox. `now` is the injected clock's time: rows are stamped with it (not
 * the database's `now()`), so the dispatcher, which claims by the same clock, sees one timeline.
 */
export async function enqueue(q: Queryable, all: readonly OutboxDraft[], now: Date): Promise<number[]> {
  const drafts = await withoutNoopEdits(q, all);
  if (drafts.length === 0) return [];
  const rows = await q
    .insert(outbox)
    .values(
      drafts.map((d) => ({
        chatId: d.chatId,
        method: d.method ?? "sendMessage",
        payload: d.payload,
        dedupeKey: d.dedupeKey ?? null,
        editsOutboxId: d.editsOutboxId ?? null,
        createdAt: now,
        nextAttemptAt: d.notBefore ?? now,
      })),
    )
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id });
  return rows.map((r) => r.id);
}

/** An HTML message for the outbox. */
export const htmlMessage = (
  chatId: number,
  text: string,
  extra: { replyMarkup?: unknown; dedupeKey?: string; notBefore?: Date } = {},
): OutboxDraft => ({
  chatId,
  payload: {
    text,
    parse_mode: "HTML",
    link_preview_options: { is_disabled: true },
    ...(extra.replyMarkup ? { reply_markup: extra.replyMarkup } : {}),
  },
  ...(extra.dedupeKey ? { dedupeKey: extra.dedupeKey } : {}),
  ...(extra.notBefore ? { notBefore: extra.notBefore } : {}),
});
