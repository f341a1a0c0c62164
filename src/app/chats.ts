// Chats that moved: a group upgraded to a supergroup gets a new id. The outbox follows the move
// (app/outbox.ts keeps chat_migrations); this answers the other direction, for incoming updates.
import { eq } from "drizzle-orm";
import { chatMigrations } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";

/** The old chat ids that now point at `chatId` (chains are stored flat: every old id points at the newest). */
export async function migratedFrom(q: Queryable, chatId: number): Promise<number[]> {
  const rows = await q
    .select({ oldChatId: chatMigrations.oldChatId })
    .from(chatMigrations)
    .where(eq(chatMigrations.newChatId, chatId));
  return rows.map((r) => r.oldChatId);
}
