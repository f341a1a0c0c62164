// issue 17: a quiet team group. A conversation in a group (or one moved to a private chat by a deep
// link) owns the bot messages it must take away when it ends: its one question message, the deep link
// it posted in the group. They are kept in kv under `quiet:<chat>:<user>` (the conversation's chat and
// user), deleted when the conversation ends (sent, cancelled, replaced by a command) or, when it went
// idle, by the sweep through the outbox. Deep links (`/start q<nonce>`) are kv rows `qlink:<nonce>`
// naming the conversation to enter, its arguments and who may follow the link.
import { and, eq, like, lt } from "drizzle-orm";
import { z } from "zod";
import { kv } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { enqueue, type PayloadDraft } from "./outbox.js";

const LEFT = "quiet:";
const LINK = "qlink:";

export interface Leftover {
  chatId: number;
  messageId: number;
}

const leftoverKey = (chatId: number, userId: number) => `${LEFT}${chatId}:${userId}`;
const Leftovers = z.array(z.object({ chatId: z.number().int(), messageId: z.number().int() }));

/** Remembers a bot message to delete when the (chat, user) conversation ends. */
export async function rememberLeftover(
  q: Queryable,
  owner: { chatId: number; userId: number },
  message: Leftover,
  now: Date,
): Promise<void> {
  const key = leftoverKey(owner.chatId, owner.userId);
  await q.transaction(async (tx) => {
    const [row] = await tx.select({ value: kv.value }).from(kv).where(eq(kv.key, key)).for("update");
    const list = Leftovers.catch([]).parse(row?.value);
    if (!list.some((m) => m.chatId === message.chatId && m.messageId === message.messageId)) list.push(message);
    await tx
      .insert(kv)
      .values({ key, value: list, updatedAt: now })
      .onConflictDoUpdate({ target: kv.key, set: { value: list, updatedAt: now } });
  });
}

/** Keeps the (chat, user) leftovers alive (each answer), so the sweep only takes idle ones. */
export async function touchLeftovers(q: Queryable, owner: { chatId: number; userId: number }, now: Date) {
  await q
    .update(kv)
    .set({ updatedAt: now })
    .where(eq(kv.key, leftoverKey(owner.chatId, owner.userId)));
}

/** The messages the (chat, user) conversation left, forgotten here (the caller deletes them). */
export async function takeLeftovers(q: Queryable, owner: { chatId: number; userId: number }): Promise<Leftover[]> {
  const gone = await q
    .delete(kv)
    .where(eq(kv.key, leftoverKey(owner.chatId, owner.userId)))
    .returning({ value: kv.value });
  return gone.flatMap((r) => Leftovers.catch([]).parse(r.value));
}

/** Outbox rows deleting these messages (a message already gone is given up by the dispatcher). */
export const deletions = (messages: readonly Leftover[]): PayloadDraft[] =>
  messages.map((m) => ({ chatId: m.chatId, method: "deleteMessage", payload: { message_id: m.messageId } }));

/**
 * Leftovers idle since before `cutoff` whose conversation is gone (timed out, never started from the
 * deep link): their messages are deleted through the outbox. Returns how many messages.
 */
export async function sweepLeftovers(q: Queryable, cutoff: Date, now: Date): Promise<number> {
  return q.transaction(async (tx) => {
    const idle = await tx
      .select({ key: kv.key, value: kv.value })
      .from(kv)
      .where(and(like(kv.key, `${LEFT}%`), lt(kv.updatedAt, cutoff)));
    const messages: Leftover[] = [];
    for (const row of idle) {
      const conversation = `conv:${row.key.slice(LEFT.length)}`;
      const [live] = await tx.select({ key: kv.key }).from(kv).where(eq(kv.key, conversation));
      if (live) continue; // the conversation's own sweep ends it first
      await tx.delete(kv).where(eq(kv.key, row.key));
      messages.push(...Leftovers.catch([]).parse(row.value));
    }
    await enqueue(tx, deletions(messages), now);
    return messages.length;
  });
}

/** A deep link's payload: `q` and a short nonce (Telegram allows A-Z a-z 0-9 _ -, up to 64). */
export const DeepLinkPayload = z.string().regex(/^q[a-z0-9]{10}$/);

/** What a deep link continues in private. */
export const DeepLink = z.object({
  kind: z.enum(["report", "hotfix", "rollback"]),
  userId: z.number().int(),
  groupChatId: z.number().int(),
  args: z.record(z.string(), z.unknown()),
});
export type DeepLink = z.infer<typeof DeepLink>;

/** Stores a deep link; returns its payload (`q<nonce>`). `nonce` comes from the caller (no randomness here). */
export async function createDeepLink(q: Queryable, link: DeepLink, nonce: string, now: Date): Promise<string> {
  const payload = DeepLinkPayload.parse(`q${nonce}`);
  await q.insert(kv).values({ key: `${LINK}${payload}`, value: link, updatedAt: now });
  return payload;
}

/** The link for this user (once: it is removed), or null when unknown, another user's, or older than `cutoff`. */
export async function takeDeepLink(q: Queryable, payload: string, userId: number, cutoff: Date) {
  if (!DeepLinkPayload.safeParse(payload).success) return null;
  const key = `${LINK}${payload}`;
  const [row] = await q.select().from(kv).where(eq(kv.key, key));
  const link = DeepLink.safeParse(row?.value);
  if (!row || !link.success || link.data.userId !== userId) return null;
  await q.delete(kv).where(eq(kv.key, key));
  return row.updatedAt < cutoff ? null : link.data;
}

/** Deep links never followed, older than `cutoff`, are dropped (their group message goes with the leftovers). */
export async function pruneDeepLinks(q: Queryable, cutoff: Date): Promise<void> {
  await q.delete(kv).where(and(like(kv.key, `${LINK}%`), lt(kv.updatedAt, cutoff)));
}
