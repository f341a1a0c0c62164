// Conversation state in the kv table, keyed by chat AND user, so that in a group another
// member's message never answers someone else's prompt.
import type { ConversationData, ConversationStorage, VersionedState } from "@grammyjs/conversations";
import { eq } from "drizzle-orm";
import type { Context } from "grammy";
import { kv } from "../../../drizzle/schema.js";
import type { BotContext } from "./context.js";

/** Bump whenever conversation code changes: old replay logs then start over instead of replaying wrongly. */
export const CONVERSATION_STORAGE_VERSION = 2;

export const conversationKey = (ctx: Context): string | undefined =>
  ctx.chatId !== undefined && ctx.from ? `conv:${ctx.chatId}:${ctx.from.id}` : undefined;

type State = VersionedState<ConversationData>;

// "context" storage rather than "key": the plugin's key storage turns an undefined key into "undefined".
export function kvConversationStorage(): ConversationStorage<BotContext, ConversationData> {
  return {
    type: "context",
    version: CONVERSATION_STORAGE_VERSION,
    adapter: {
      read: async (ctx) => {
        const key = conversationKey(ctx);
        if (!key) return undefined;
        const [row] = await ctx.deps.db.select({ value: kv.value }).from(kv).where(eq(kv.key, key));
        return row?.value as State | undefined;
      },
      write: async (ctx, state) => {
        const key = conversationKey(ctx);
        if (!key) return;
        const updatedAt = ctx.deps.clock();
        await ctx.deps.db
          .insert(kv)
          .values({ key, value: state, updatedAt })
          .onConflictDoUpdate({ target: kv.key, set: { value: state, updatedAt } });
      },
      delete: async (ctx) => {
        const key = conversationKey(ctx);
        if (key) await ctx.deps.db.delete(kv).where(eq(kv.key, key));
      },
    },
  };
}
