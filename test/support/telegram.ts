// A strict fake of the Bot API at grammY's client.fetch: records every call and refuses what
// Telegram would refuse (bad HTML, callback_data over 64 bytes, text over 4096, an edit that
// changes nothing, a callback answered twice).
import type { Update, UserFromGetMe } from "grammy/types";

export const botInfo: UserFromGetMe = {
  id: 42,
  is_bot: true,
  first_name: "Nightshift",
  username: "nightshift_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

export interface ApiCall {
  method: string;
  payload: Record<string, any>;
  /** The result returned (for sendMessage: the message with its message_id). */
  result?: any;
  error?: { error_code: number; description: string };
}

type Failure = { error_code: number; description: string; parameters?: { retry_after?: number } };

const ALLOWED_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
]);

/** Returns a description of what Telegram would reject in this HTML, or null. */
export function htmlProblem(html: string): string | null {
  const stack: string[] = [];
  const re = /<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|&(#\d+|#x[0-9a-f]+|[a-z]+);|[<>&]/gi;
  for (const m of html.matchAll(re)) {
    if (m[0] === "<" || m[0] === ">" || m[0] === "&") return `unescaped ${m[0]} at ${m.index}`;
    if (m[4] !== undefined) {
      if (!m[4].startsWith("#") && !["lt", "gt", "amp", "quot"].includes(m[4])) return `unknown entity &${m[4]};`;
      continue;
    }
    const [, close, tag] = m;
    if (!tag || !ALLOWED_TAGS.has(tag.toLowerCase())) return `unsupported tag <${tag}>`;
    if (close) {
      if (stack.pop() !== tag) return `unbalanced </${tag}>`;
    } else stack.push(tag);
  }
  return stack.length ? `unclosed <${stack.at(-1)}>` : null;
}

const visible = (html: string) => html.replace(/<[^>]*>/g, "").replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, "x");

export function fakeTelegram(options: { now?: () => number } = {}) {
  const calls: ApiCall[] = [];
  const failures: { method: string; failure: Failure }[] = [];
  const messages = new Map<string, { text: string; markup: string }>();
  const answered = new Set<string>();
  let messageId = 1000;

  const check = (method: string, p: Record<string, any>): string | null => {
    if ("text" in p) {
      if (typeof p.text !== "string" || p.text.length === 0) return "message text is empty";
      if (p.parse_mode === "HTML") {
        const problem = htmlProblem(p.text);
        if (problem) return `can't parse entities: ${problem}`;
      }
      const length = p.parse_mode === "HTML" ? visible(p.text).length : p.text.length;
      if (length > 4096) return "message is too long";
    }
    const rows = p.reply_markup?.inline_keyboard as any[][] | undefined;
    for (const button of rows?.flat() ?? []) {
      const data = button.callback_data as string | undefined;
      if (data !== undefined && (Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64)) {
        return "BUTTON_DATA_INVALID";
      }
    }
    if (method === "answerCallbackQuery") {
      if (answered.has(p.callback_query_id))
        return "query is too old and response timeout expired or query ID is invalid";
      answered.add(p.callback_query_id);
    }
    if (method === "editMessageText" || method === "editMessageReplyMarkup") {
      const key = `${p.chat_id}:${p.message_id}`;
      const old = messages.get(key);
      const text = method === "editMessageText" ? p.text : old?.text;
      const markup = JSON.stringify(p.reply_markup ?? null);
      if (old && old.text === text && old.markup === markup) {
        return "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
      }
    }
    return null;
  };

  const resultOf = (method: string, p: Record<string, any>): any => {
    const date = Math.floor((options.now?.() ?? Date.now()) / 1000);
    switch (method) {
      case "getMe":
        return botInfo;
      case "sendMessage": {
        const message = {
          message_id: ++messageId,
          date,
          chat: { id: p.chat_id, type: p.chat_id < 0 ? "supergroup" : "private" },
          text: p.text,
          ...(p.reply_markup ? { reply_markup: p.reply_markup } : {}),
        };
        messages.set(`${p.chat_id}:${message.message_id}`, {
          text: p.text,
          markup: JSON.stringify(p.reply_markup ?? null),
        });
        return message;
      }
      case "editMessageText":
      case "editMessageReplyMarkup": {
        const key = `${p.chat_id}:${p.message_id}`;
        const old = messages.get(key);
        const text = method === "editMessageText" ? p.text : (old?.text ?? "");
        messages.set(key, { text, markup: JSON.stringify(p.reply_markup ?? null) });
        return { message_id: p.message_id, date, chat: { id: p.chat_id, type: "supergroup" }, text };
      }
      default:
        return true;
    }
  };

  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const method = String(url).split("/").pop()!;
    const payload = init?.body ? JSON.parse(String(init.body)) : {};
    const call: ApiCall = { method, payload };
    calls.push(call);
    const i = failures.findIndex((f) => f.method === method || f.method === "*");
    if (i >= 0) {
      const { failure } = failures.splice(i, 1)[0]!;
      call.error = failure;
      return new Response(JSON.stringify({ ok: false, ...failure }), { status: failure.error_code });
    }
    const problem = check(method, payload);
    if (problem) {
      call.error = { error_code: 400, description: `Bad Request: ${problem}` };
      return new Response(JSON.stringify({ ok: false, ...call.error }), { status: 400 });
    }
    call.result = resultOf(method, payload);
    return new Response(JSON.stringify({ ok: true, result: call.result }));
  }) as typeof globalThis.fetch;

  return {
    fetch,
    calls,
    /** Calls of one method (successful ones unless `all`). */
    of: (method: string, all = false) => calls.filter((c) => c.method === method && (all || !c.error)),
    /** The next call to `method` ("*" = any) fails with this error. */
    failNext: (method: string, failure: Failure, times = 1) => {
      for (let n = 0; n < times; n++) failures.push({ method, failure });
    },
    /** Texts of messages sent to a chat, in order. */
    sentTo: (chatId: number) =>
      calls.filter((c) => c.method === "sendMessage" && !c.error && c.payload.chat_id === chatId),
    errors: () => calls.filter((c) => c.error && c.error.error_code === 400),
    clear: () => {
      calls.length = 0;
    },
  };
}
export type FakeTelegram = ReturnType<typeof fakeTelegram>;

export interface Person {
  id: number;
  first_name: string;
  username?: string;
}
export const alice: Person = { id: 1001, first_name: "Alice", username: "alice" };
export const bob: Person = { id: 1002, first_name: "Bob", username: "bob" };
export const carol: Person = { id: 2001, first_name: "Carol", username: "carol" };

let nextUpdateId = 1;
let nextMessageId = 1;
const chatOf = (chatId: number) =>
  chatId < 0
    ? { id: chatId, type: "supergroup" as const, title: "Team" }
    : { id: chatId, type: "private" as const, first_name: "x" };

/** A text message; a leading /command gets its bot_command entity. */
export function messageUpdate(text: string, from: Person, chatId: number = from.id, date = 1_790_000_000): Update {
  const command = /^\/[a-z_]+(@\w+)?/i.exec(text);
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date,
      chat: chatOf(chatId),
      from: { ...from, is_bot: false },
      text,
      ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}

/** A button press on a message the bot sent (take the data from a captured payload). */
export function callbackUpdate(
  data: string,
  from: Person,
  message: { chatId: number; messageId: number; text?: string },
): Update {
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: `cb${nextUpdateId}`,
      from: { ...from, is_bot: false },
      chat_instance: "ci",
      data,
      message: {
        message_id: message.messageId,
        date: 1_790_000_000,
        chat: chatOf(message.chatId),
        from: { id: 42, is_bot: true, first_name: "Nightshift" },
        text: message.text ?? "",
      },
    },
  } as Update;
}

/** Every inline button of a payload, flattened. */
export const buttonsOf = (payload: Record<string, any>): { text: string; callback_data?: string; url?: string }[] =>
  (payload.reply_markup?.inline_keyboard ?? []).flat();
