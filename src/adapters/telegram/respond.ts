// Sending and editing HTML messages: split over the limit, tolerate "not modified".
import { Menu } from "@grammyjs/menu";
import { type Context, GrammyError, type InlineKeyboard } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { escapeHtml, splitMessage, visibleText } from "../../core/html.js";

type Markup = InlineKeyboard | InlineKeyboardMarkup | { inline_keyboard: never[] } | object;

export const HTML = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;
export const NO_BUTTONS = { inline_keyboard: [] as never[] };

/** Replies in HTML, split on line boundaries; the keyboard goes under the last part. */
export async function replyHtml(ctx: Context, html: string, replyMarkup?: Markup): Promise<number | undefined> {
  const parts = splitMessage(html);
  let last: number | undefined;
  for (const [i, part] of parts.entries()) {
    const markup = i === parts.length - 1 && replyMarkup ? { reply_markup: replyMarkup as InlineKeyboardMarkup } : {};
    last = (await ctx.reply(part, { ...HTML, ...markup })).message_id;
  }
  return last;
}

const notModified = (error: unknown) =>
  error instanceof GrammyError && /message is not modified/i.test(error.description);

const keyboardOf = (markup: unknown): string =>
  JSON.stringify((markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? []);

/** Whether the pressed message already shows this (Telegram refuses an edit that changes nothing). */
function unchanged(ctx: Context, html: string | null, replyMarkup: Markup): boolean {
  if (replyMarkup instanceof Menu) return false; // rendered later by the menu plugin: cannot compare
  const message = ctx.callbackQuery?.message;
  if (!message || !("text" in message) || message.text === undefined) return false;
  const sameText = html === null || visibleText(html) === message.text;
  return sameText && keyboardOf(message.reply_markup) === keyboardOf(replyMarkup);
}

/** Edits the message the button sits under; an identical edit is skipped (or, if raced, tolerated). */
export async function editHtml(ctx: Context, html: string, replyMarkup: Markup = NO_BUTTONS): Promise<void> {
  const text = splitMessage(html)[0]!;
  if (unchanged(ctx, text, replyMarkup)) return;
  try {
    await ctx.editMessageText(text, { ...HTML, reply_markup: replyMarkup as InlineKeyboardMarkup });
  } catch (error) {
    if (!notModified(error)) throw error;
  }
}

export async function editMarkup(ctx: Context, replyMarkup: Markup = NO_BUTTONS): Promise<void> {
  if (unchanged(ctx, null, replyMarkup)) return;
  try {
    await ctx.editMessageReplyMarkup({ reply_markup: replyMarkup as InlineKeyboardMarkup });
  } catch (error) {
    if (!notModified(error)) throw error;
  }
}

/** Arguments after the command, split on whitespace. */
export const commandArgs = (ctx: Context): string[] => {
  const match = typeof ctx.match === "string" ? ctx.match : "";
  return match.trim().split(/\s+/).filter(Boolean);
};

/** `/cmd <id> rest…` → id and the remaining text, or null. */
export function idAndText(ctx: Context): { id: number; text: string } | null {
  const match = typeof ctx.match === "string" ? ctx.match.trim() : "";
  const m = /^#?(\d{1,15})(?:\s+([\s\S]*))?$/.exec(match);
  return m ? { id: Number(m[1]), text: (m[2] ?? "").trim() } : null;
}

type Entity = { type: string; offset: number; length: number; url?: string; language?: string };

const TAGS: Record<string, [string, string]> = {
  bold: ["<b>", "</b>"],
  italic: ["<i>", "</i>"],
  underline: ["<u>", "</u>"],
  strikethrough: ["<s>", "</s>"],
  spoiler: ["<tg-spoiler>", "</tg-spoiler>"],
  code: ["<code>", "</code>"],
  pre: ["<pre>", "</pre>"],
  blockquote: ["<blockquote>", "</blockquote>"],
  expandable_blockquote: ["<blockquote>", "</blockquote>"],
};

/** A received message back to HTML (to edit it without losing its formatting). */
export function messageHtml(text: string, entities: readonly Entity[] = []): string {
  const tagged = entities
    .filter((en) => en.type in TAGS || (en.type === "text_link" && en.url))
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const open: { end: number; close: string }[] = [];
  let out = "";
  let next = 0;
  const closeUntil = (i: number) => {
    while (open.length && open.at(-1)!.end <= i) out += open.pop()!.close;
  };
  for (let i = 0; i <= text.length; i++) {
    closeUntil(i);
    while (next < tagged.length && tagged[next]!.offset === i) {
      const en = tagged[next++]!;
      const [start, close] = en.type === "text_link" ? [`<a href="${escapeHtml(en.url!)}">`, "</a>"] : TAGS[en.type]!;
      out += start;
      open.push({ end: en.offset + en.length, close });
    }
    if (i < text.length) out += escapeHtml(text[i]!);
  }
  return out;
}
