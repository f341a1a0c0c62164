// Building blocks for conversations: prompts that work in groups (split when long), answers that are
// cleaned and bounded at intake (invalid ones are never logged), and a guard that tells the user when
// Telegram refuses a message instead of ending the conversation silently.
import type { Conversation } from "@grammyjs/conversations";
import { type Context, GrammyError, HttpError } from "grammy";
import type { ForceReply, InlineKeyboardMarkup } from "grammy/types";
import { splitMessage } from "../../../core/html.js";
import { cleanText, codePointLength, oneLine } from "../../../core/text.js";
import { conversationText } from "../../../i18n/index.js";
import type { BotContext } from "../context.js";
import { HTML } from "../respond.js";

export type Convo = Conversation<BotContext, Context>;

const isGroup = (ctx: Context) => ctx.chat?.type === "group" || ctx.chat?.type === "supergroup";

/** The command a message starts with, lower-cased, if it is addressed to this bot; else null. */
export function commandOf(ctx: Context): string | null {
  const message = ctx.message;
  const entity = message?.entities?.[0];
  if (!message?.text || entity?.type !== "bot_command" || entity.offset !== 0) return null;
  const [name = "", bot] = message.text.substring(1, entity.length).split("@");
  if (bot && bot.toLowerCase() !== ctx.me.username.toLowerCase()) return null;
  return name.toLowerCase();
}

/**
 * Asks a question. In a group the bot only sees replies to it (privacy mode), so a text
 * question forces a reply from that user only. A question over Telegram's limit is sent in
 * parts; the keyboard (or the forced reply) goes with the last.
 */
export async function ask(ctx: Context, html: string, keyboard?: InlineKeyboardMarkup) {
  const forceReply: ForceReply = { force_reply: true, selective: true };
  const replyTo =
    isGroup(ctx) && ctx.message
      ? { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } }
      : {};
  const parts = splitMessage(html);
  for (const part of parts.slice(0, -1)) await ctx.reply(part, HTML);
  return ctx.reply(parts.at(-1)!, {
    ...HTML,
    ...(keyboard ? { reply_markup: keyboard } : isGroup(ctx) ? { reply_markup: forceReply, ...replyTo } : {}),
  });
}

/** A plain text message that is not a command (to any bot): a candidate answer. */
const answerText = (ctx: Context): string | null => {
  const message = ctx.message;
  const first = message?.entities?.[0];
  const command = first?.type === "bot_command" && first.offset === 0;
  return message?.text !== undefined && !command ? message.text : null;
};

export interface TextRules {
  /** One line (titles, reasons): line breaks become spaces, so the text cannot fake lines in a message. */
  line?: boolean;
  /** Refuses an otherwise valid answer with this hint (e.g. a title that is only `-`). */
  refuse?: (text: string) => string | null;
}

/**
 * Waits for a text answer of 1..max characters (code points), cleaned (NUL, controls, lone
 * surrogates) and, with `line`, made one line. Updates that are not answers pass on to the bot; an
 * invalid answer gets the hint and is dropped without being logged, so hundreds of them leave the
 * stored conversation as it was.
 */
export async function waitText(
  conversation: Convo,
  max: number,
  tooLong: string,
  rules: TextRules = {},
  surface?: HintSurface,
): Promise<{ text: string; ctx: Context }> {
  const ctx = await conversation.wait();
  const raw = answerText(ctx);
  if (raw === null) return conversation.skip({ next: true });
  const text = rules.line ? oneLine(raw) : cleanText(raw).trim();
  const problem =
    codePointLength(text) > max
      ? tooLong
      : text.length === 0
        ? conversationText.answerRequired
        : (rules.refuse?.(text) ?? null);
  if (problem !== null) {
    if (surface) await surface.hint(ctx, problem);
    else await ctx.reply(problem);
    return conversation.skip({ next: false });
  }
  await surface?.took(ctx);
  return { text, ctx };
}

/** What waitText/waitButton tell about hints and answers (conversations/surface.ts). */
export interface HintSurface {
  hint(ctx: Context, text: string): Promise<void>;
  took(ctx: Context): Promise<void>;
}

/** `-`, `—` and the like: a "skip" answer, never a title. */
export const onlyDashes = (text: string): boolean => /^[-‐‑‒–—―−_.\s]+$/u.test(text);

/** Waits for one of the conversation's own buttons; other updates pass on (a stray text gets a hint). */
export function waitButton(conversation: Convo, data: RegExp, hint: string, surface?: HintSurface) {
  return conversation.waitForCallbackQuery(data, {
    next: true,
    otherwise: async (c) => {
      if (answerText(c) === null) return;
      if (surface) await surface.hint(c, hint);
      else await c.reply(hint);
    },
  });
}

type Builder<A extends unknown[]> = (conversation: Convo, ctx: Context, ...args: A) => Promise<void>;

/**
 * A conversation that, when Telegram refuses one of its calls (a message too long, a chat gone),
 * ends with a short zh-TW message instead of only a log line.
 */
export function tellingTelegramErrors<A extends unknown[]>(builder: Builder<A>): Builder<A> {
  return async (conversation, ctx, ...args) => {
    try {
      await builder(conversation, ctx, ...args);
    } catch (error) {
      if (!(error instanceof GrammyError || error instanceof HttpError)) throw error;
      const detail = error instanceof GrammyError ? `${error.method}: ${error.description}` : error.message;
      await conversation.external((octx) => {
        octx.log.warn({ err: detail }, "Telegram refused a call inside a conversation; it ended");
        return null;
      });
      await ctx.reply(conversationText.telegramFailed).catch(() => undefined);
    }
  };
}
