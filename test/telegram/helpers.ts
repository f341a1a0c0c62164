// Helpers for the chat e2e tests: deliver outbox rows through the fake Bot API (a stand-in for the
// dispatcher), press buttons on messages the bot sent, and read what the bot said.
import { asc, eq, isNull } from "drizzle-orm";
import type { Update } from "grammy/types";
import { bugEvents, bugs, kv, outbox } from "../../drizzle/schema.js";
import type { Db } from "../../src/adapters/db/database.js";
import { telegramPayload } from "../../src/adapters/notify/render.js";
import type { TestBot } from "../support/app.js";
import { type ApiCall, buttonsOf, callbackUpdate, type Person } from "../support/telegram.js";

/** Sends every unsent outbox row once, in id order, recording the message id (edits resolve theirs). */
export async function deliverOutbox(tb: TestBot): Promise<ApiCall[]> {
  const rows = await tb.deps.db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.id));
  const sent: ApiCall[] = [];
  for (const row of rows) {
    const payload: Record<string, unknown> = { chat_id: row.chatId, ...telegramPayload(row.payload) };
    if (row.editsOutboxId) {
      const [target] = await tb.deps.db.select().from(outbox).where(eq(outbox.id, row.editsOutboxId));
      payload.message_id = target?.sentMessageId;
    }
    const raw = tb.bot.api.raw as unknown as Record<string, (p: unknown) => Promise<any>>;
    const result = await raw[row.method]!(payload);
    await tb.deps.db
      .update(outbox)
      .set({ sentAt: tb.clock(), sentMessageId: typeof result === "object" ? result.message_id : null })
      .where(eq(outbox.id, row.id));
    sent.push(tb.api.calls.at(-1)!);
  }
  return sent;
}

const ENTITY_TYPES: Record<string, string> = { b: "bold", i: "italic", code: "code", blockquote: "blockquote" };
const unescapeHtml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

/** What Telegram shows for our HTML: the plain text and its entities. */
export function parseHtml(html: string): {
  text: string;
  entities: { type: string; offset: number; length: number }[];
} {
  let text = "";
  const open: { tag: string; offset: number }[] = [];
  const entities: { type: string; offset: number; length: number }[] = [];
  for (const part of html.split(/(<\/?[a-z-]+[^>]*>)/)) {
    const tag = /^<(\/?)([a-z-]+)/.exec(part);
    if (!tag) {
      text += unescapeHtml(part);
      continue;
    }
    if (!tag[1]) open.push({ tag: tag[2]!, offset: text.length });
    else {
      const start = open.pop()!;
      const type = ENTITY_TYPES[start.tag];
      if (type) entities.push({ type, offset: start.offset, length: text.length - start.offset });
    }
  }
  return { text, entities };
}

/** A press on a button (found by its label, or exact callback_data) of a message the bot sent. */
export function pressOn(call: ApiCall, label: string | RegExp, from: Person): Update {
  const button = buttonsOf(call.payload).find((b) =>
    typeof label === "string" ? b.text === label || b.callback_data === label : label.test(b.text),
  );
  if (!button?.callback_data) {
    throw new Error(`no button ${String(label)} in ${JSON.stringify(buttonsOf(call.payload).map((b) => b.text))}`);
  }
  return pressData(call, button.callback_data, from);
}

/** A press with any data on a sent message (carrying its current text and keyboard, as Telegram does). */
export function pressData(call: ApiCall, data: string, from: Person): Update {
  const messageId = call.result?.message_id ?? call.payload.message_id;
  const { text, entities } = parseHtml(call.payload.text ?? "");
  const update = callbackUpdate(data, from, { chatId: call.payload.chat_id, messageId, text });
  const message = update.callback_query!.message as any;
  if (entities.length) message.entities = entities;
  if (call.payload.reply_markup?.inline_keyboard) message.reply_markup = call.payload.reply_markup;
  return update;
}

/** The last successful call of `method` (optionally to one chat). */
export function last(tb: TestBot, method: string, chatId?: number): ApiCall {
  const calls = tb.api.of(method).filter((c) => chatId === undefined || c.payload.chat_id === chatId);
  const call = calls.at(-1);
  if (!call) throw new Error(`no ${method} call${chatId === undefined ? "" : ` to ${chatId}`}`);
  return call;
}

/** The latest state of a message the bot sent or edited (text and keyboard). */
export function messageState(tb: TestBot, chatId: number, messageId: number): ApiCall {
  const calls = tb.api.calls.filter(
    (c) =>
      !c.error &&
      c.payload.chat_id === chatId &&
      ((c.method === "sendMessage" && c.result?.message_id === messageId) ||
        (c.method.startsWith("editMessage") && c.payload.message_id === messageId)),
  );
  let state: ApiCall | undefined;
  for (const c of calls) {
    state = state
      ? { ...c, payload: { ...state.payload, ...c.payload }, result: { ...state.result, message_id: messageId } }
      : c;
  }
  if (!state) throw new Error(`no message ${messageId} in ${chatId}`);
  return state;
}

/** Toast texts of answered callback queries, in order. */
export const toasts = (tb: TestBot): (string | undefined)[] =>
  tb.api.of("answerCallbackQuery").map((c) => c.payload.text);

/** Row counts of the tables a chat action may write. */
export async function writes(db: Db) {
  const count = async (table: typeof bugs | typeof bugEvents | typeof outbox | typeof kv) =>
    (await db.select().from(table)).length;
  return { bugs: await count(bugs), events: await count(bugEvents), outbox: await count(outbox), kv: await count(kv) };
}

/**
 * The message the bot last sent or edited in a chat, as it reads now: in a quiet group, the one
 * question message a conversation edits in place (issue 17); elsewhere usually the last one sent.
 */
export function current(tb: TestBot, chatId: number): ApiCall {
  const touched = tb.api.calls.filter(
    (c) =>
      !c.error &&
      c.payload.chat_id === chatId &&
      (c.method === "sendMessage" || c.method === "editMessageText" || c.method === "editMessageReplyMarkup"),
  );
  const latest = touched.at(-1);
  if (!latest) throw new Error(`no message in ${chatId}`);
  const state = messageState(tb, chatId, latest.result?.message_id ?? latest.payload.message_id);
  // an edit without reply_markup takes the buttons away
  const edits = touched.filter(
    (c) => c.method === "editMessageText" && c.payload.message_id === state.result.message_id,
  );
  if (edits.length && !edits.at(-1)!.payload.reply_markup) delete state.payload.reply_markup;
  return state;
}
