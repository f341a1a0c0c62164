// Stored conversation state (the Telegram conversations' replay logs) in the kv table under
// `conv:<chat>:<user>` keys, with the idle cutoff applied in the same statements.
import { and, eq, gte, like, lt, ne } from "drizzle-orm";
import { kv } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

const PREFIX = "conv:";

export const conversationKeyOf = (chatId: number, userId: number): string => `${PREFIX}${chatId}:${userId}`;

export const parseConversationKey = (key: string): { chatId: number; userId: number } | null => {
  const m = /^conv:(-?\d+):(\d+)$/.exec(key);
  return m ? { chatId: Number(m[1]), userId: Number(m[2]) } : null;
};

export async function readConversation(q: Queryable, key: string): Promise<{ value: unknown; updatedAt: Date } | null> {
  const [row] = await q.select({ value: kv.value, updatedAt: kv.updatedAt }).from(kv).where(eq(kv.key, key));
  return row ?? null;
}

/** Deletes the state if it is still idle since before `cutoff`; true for whoever deleted it. */
export async function dropIdleConversation(q: Queryable, key: string, cutoff: Date): Promise<boolean> {
  const gone = await q
    .delete(kv)
    .where(and(eq(kv.key, key), lt(kv.updatedAt, cutoff)))
    .returning({ key: kv.key });
  return gone.length > 0;
}

export async function writeConversation(q: Queryable, key: string, value: unknown, now: Date): Promise<void> {
  await q
    .insert(kv)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: now } });
}

export async function deleteConversation(q: Queryable, key: string): Promise<void> {
  await q.delete(kv).where(eq(kv.key, key));
}

/** Whether a conversation other than `ownKey` in `chatId` was active since `cutoff`. */
export async function othersActive(q: Queryable, chatId: number, ownKey: string, cutoff: Date): Promise<boolean> {
  const [row] = await q
    .select({ key: kv.key })
    .from(kv)
    .where(and(like(kv.key, `${PREFIX}${chatId}:%`), ne(kv.key, ownKey), gte(kv.updatedAt, cutoff)))
    .limit(1);
  return row !== undefined;
}

export interface EndedConversation {
  chatId: number;
  userId: number;
  value: unknown;
}

/**
 * Deletes every conversation idle since before `cutoff` and enqueues what `tell` says about them,
 * in one transaction (a conversation that answers meanwhile is kept). Returns how many ended.
 */
export async function sweepIdleConversations(
  q: Queryable,
  cutoff: Date,
  now: Date,
  tell: (ended: EndedConversation[], tx: Queryable) => Promise<OutboxDraft[]>,
): Promise<number> {
  return q.transaction(async (tx) => {
    const gone = await tx
      .delete(kv)
      .where(and(like(kv.key, `${PREFIX}%`), lt(kv.updatedAt, cutoff)))
      .returning({ key: kv.key, value: kv.value });
    const ended = gone.flatMap((row) => {
      const parsed = parseConversationKey(row.key);
      return parsed ? [{ ...parsed, value: row.value }] : [];
    });
    if (ended.length === 0) return 0;
    await enqueue(tx, await tell(ended, tx), now);
    return ended.length;
  });
}
