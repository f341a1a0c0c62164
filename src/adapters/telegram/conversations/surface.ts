// issue 17: where a conversation asks its questions. In a group where the bot may delete messages it
// is ONE bot message edited in place (the panel): each question replaces the last, a refused answer
// shows its hint above the question, the member's typed answers are deleted, and when the
// conversation ends the panel goes too (or stays as the final word with `keep`). Anywhere else (a
// private chat, or a group without the right, which never gets here: /report moves to private) it is
// the classic chat: one message per question, choices shown by editing the question.
//
// Adding a question to a conversation: `await surface.ask(ctx, html, keyboard?)`, then wait with
// `waitText(conversation, max, tooLong, rules, surface)` or `waitButton(conversation, re, hint, surface)`
// (both tell `surface` about hints and answers), then `surface.took(answer.ctx, shownChoice)`
// for a button. Nothing else changes: the panel, the deletions and the cleanup follow.
import type { Context } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { rememberLeftover, takeLeftovers } from "../../../app/quiet.js";
import { splitMessage } from "../../../core/html.js";
import { quietText } from "../../../i18n/index.js";
import { deleteAnswer, deleteQuietly, isGroupChat, mayDeleteIn } from "../quiet.js";
import { HTML } from "../respond.js";
import { ask, type Convo } from "./common.js";

export interface Surface {
  /** True in a quiet group: one panel, answers deleted, nothing left at the end. */
  readonly quiet: boolean;
  /** Asks a question (sends it, or edits the panel). */
  ask(ctx: Context, html: string, keyboard?: InlineKeyboardMarkup): Promise<void>;
  /** A refused answer's hint (plain text): a reply, or shown above the panel's question. */
  hint(ctx: Context, text: string): Promise<void>;
  /** An answer was taken: a typed one is deleted in a quiet group; a pressed one shows `shown` in the chat. */
  took(ctx: Context, shown?: string): Promise<void>;
  /**
   * The conversation ends. `html`: its last word (a reply in the chat; in a quiet group only with
   * `keep`, as the panel's final text). Without `keep` the panel is deleted; the deep link a private
   * conversation came from is deleted in every case.
   */
  finish(
    ctx: Context,
    html: string | null,
    options?: { keep?: boolean; keyboard?: InlineKeyboardMarkup },
  ): Promise<void>;
}

const sameMarkup = (a?: InlineKeyboardMarkup, b?: InlineKeyboardMarkup) =>
  JSON.stringify(a?.inline_keyboard ?? []) === JSON.stringify(b?.inline_keyboard ?? []);

/** Opens the surface for this conversation (decided once, at its start). */
export async function openSurface(conversation: Convo, ctx: Context): Promise<Surface> {
  const chatId = ctx.chat!.id;
  const userId = ctx.from!.id;
  const quiet = await conversation.external((octx) =>
    isGroupChat(octx.chat) ? mayDeleteIn(octx.deps, octx.api, octx.me, octx.chat!) : false,
  );
  /** Deletes what this conversation owns (the panel; the group's deep link for a private one). */
  const cleanUp = (keepPanel: number | undefined) =>
    conversation.external(async (octx) => {
      const left = await takeLeftovers(octx.deps.db, { chatId, userId });
      for (const m of left) if (m.messageId !== keepPanel || m.chatId !== chatId) await deleteQuietly(octx, m);
      return left.length;
    });
  const dropped = new Set<number>();
  const dropTyped = (c: Context) => {
    const m = c.message;
    if (!m || dropped.has(m.message_id)) return Promise.resolve(false);
    dropped.add(m.message_id);
    return conversation.external((octx) =>
      deleteAnswer(octx, { chatId: m.chat.id, messageId: m.message_id, date: m.date }),
    );
  };

  if (!quiet) {
    return {
      quiet,
      ask: async (c, html, keyboard) => void (await ask(c, html, keyboard)),
      hint: async (c, text) => void (await c.reply(text)),
      took: async (c, shown) => {
        if (c.callbackQuery && shown !== undefined) await c.editMessageText(shown, HTML);
      },
      finish: async (c, html, options = {}) => {
        if (html !== null)
          await c.reply(html, { ...HTML, ...(options.keyboard ? { reply_markup: options.keyboard } : {}) });
        await cleanUp(undefined);
      },
    };
  }

  let panel: number | undefined;
  let shown: { html: string; keyboard?: InlineKeyboardMarkup } = { html: "" };
  const remember = (messageId: number) =>
    conversation.external((octx) =>
      rememberLeftover(octx.deps.db, { chatId, userId }, { chatId, messageId }, octx.deps.clock()),
    );
  const show = async (c: Context, full: string, keyboard?: InlineKeyboardMarkup) => {
    // Over Telegram's limit: the first parts go as messages of their own, taken away with the panel.
    const parts = splitMessage(full);
    for (const part of parts.slice(0, -1)) await remember((await c.api.sendMessage(chatId, part, HTML)).message_id);
    const html = parts.at(-1)!;
    if (panel === undefined) {
      const sent = await c.api.sendMessage(chatId, html, { ...HTML, ...(keyboard ? { reply_markup: keyboard } : {}) });
      panel = sent.message_id;
      await remember(panel);
    } else if (html !== shown.html || !sameMarkup(keyboard, shown.keyboard)) {
      await c.api.editMessageText(chatId, panel, html, { ...HTML, ...(keyboard ? { reply_markup: keyboard } : {}) });
    }
    shown = { html, ...(keyboard ? { keyboard } : {}) };
  };
  let question: { html: string; keyboard?: InlineKeyboardMarkup } = { html: "" };
  return {
    quiet,
    ask: async (c, html, keyboard) => {
      question = { html, ...(keyboard ? { keyboard } : {}) };
      await show(c, html, keyboard);
    },
    hint: async (c, text) => {
      await dropTyped(c);
      await show(c, quietText.withHint(text, question.html), question.keyboard);
    },
    took: async (c) => {
      await dropTyped(c);
    },
    finish: async (c, html, options = {}) => {
      if (options.keep && html !== null) await show(c, html, options.keyboard);
      await cleanUp(options.keep ? panel : undefined);
    },
  };
}
