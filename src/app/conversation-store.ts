// Stored conversation state (the Telegram conversations' replay logs) in the kv table under
// `conv:<chat>:<user>` keys, with the idle cutoff applied in the same statements.
import { and, eq, gte, like, lt, ne, sql } from "drizzle-orm";
import { kv } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { prepared } from "./hot-path.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

const PREFIX = "conv:";

export const conversationKeyOf = (chatId: number, userId: number): string => `${PREFIX}${chatId}:${userId}`;

export const parseConversationKey = (key: string): { chatId: number; userId: number } | null => {
  const m = /^conv:(-?\d+):(\d+)$/.exec(key);
  return m ? { chatId: Number(m[1]), userId: Number(m[2]) } : null;
};

export async function readConversation(q: Queryable, key: string): Promise<{ value: unknown; updatedAt: Date } | null> {
  const [row] = await prepared(q, "conversation_read", (d) =>
    d
      .select({ value: kv.value, updatedAt: kv.updatedAt })
      .from(kv)
      .where(eq(kv.key, sql.placeholder("key"))),
  ).execute({ key });
  return row ?? null;
}

/** Deletes the state if it is still idle since before `cutoff`; true for whoever deleted it. */
export async function dropIdleConversation(q: Queryable, key: string, cutoff: Date): Promise<boolean> {
  const gone = await prepared(q, "conversation_drop_idle", (d) =>
    d
      .delete(kv)
      .where(and(eq(kv.key, sql.placeholder("key")), lt(kv.updatedAt, sql.placeholder("cutoff"))))
      .returning({ key: kv.key }),
  ).execute({ key, cutoff: cutoff.toISOString() });
  return gone.length > 0;
}

export async function writeConversation(q: Queryable, key: string, value: unknown, now: Date): Promise<void> {
  await prepared(q, "conversation_write", (d) =>
    d
      .insert(kv)
      .values({ key: sql.placeholder("key"), value: sql.placeholder("value"), updatedAt: sql.placeholder("at") })
      .onConflictDoUpdate({ target: kv.key, set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` } }),
  ).execute({ key, value, at: now });
}

export async function deleteConversation(q: Queryable, key: string): Promise<void> {
  await prepared(q, "conversation_delete", (d) => d.delete(kv).where(eq(kv.key, sql.placeholder("key")))).execute({
    key,
  });
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
