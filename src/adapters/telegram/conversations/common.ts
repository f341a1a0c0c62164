// Building blocks for conversations: prompts that work in groups, and waits that let other commands through.
import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { ForceReply, InlineKeyboardMarkup } from "grammy/types";
import type { BotContext } from "../context.js";
import { HTML } from "../respond.js";

export type Convo = Conversation<BotContext, Context>;

const isGroup = (ctx: Context) => ctx.chat?.type === "group" || ctx.chat?.type === "supergroup";

/**
 * Asks a question. In a group the bot only sees replies to it (privacy mode), so a text
 * question forces a reply from that user only.
 */
export function ask(ctx: Context, html: string, keyboard?: InlineKeyboardMarkup) {
  const forceReply: ForceReply = { force_reply: true, selective: true };
  const replyTo =
    isGroup(ctx) && ctx.message
      ? { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } }
      : {};
  return ctx.reply(html, {
    ...HTML,
    ...(keyboard ? { reply_markup: keyboard } : isGroup(ctx) ? { reply_markup: forceReply, ...replyTo } : {}),
  });
}

const answerText = (ctx: Context): string | null => {
  const text = ctx.message?.text;
  return text !== undefined && !text.startsWith("/") ? text.trim() : null;
};

/** Waits for a text answer of 1..max characters; commands and foreign updates pass on to the bot. */
export async function waitText(
  conversation: Convo,
  max: number,
  tooLong: string,
): Promise<{ text: string; ctx: Context }> {
  for (;;) {
    const ctx = await conversation.waitUntil((c) => answerText(c) !== null, { next: true });
    const text = answerText(ctx)!;
    if (text.length > 0 && text.length <= max) return { text, ctx };
    await ctx.reply(tooLong);
  }
}

/** Waits for one of the conversation's own buttons; other updates pass on (a stray text gets a hint). */
export function waitButton(conversation: Convo, data: RegExp, hint: string) {
  return conversation.waitForCallbackQuery(data, {
    next: true,
    otherwise: async (c) => {
      if (answerText(c)) await c.reply(hint);
    },
  });
}
