// A strict stand-in for the Telegram Bot API: keeps the chats' messages, queues updates for
// getUpdates, and refuses what Telegram would refuse (bad HTML, callback_data over 64 bytes,
// text over 4096, an edit that changes nothing, a callback answered twice, a deleteMessage the bot
// may not do). Used in-process by
// the sandbox and the tests (as grammY's client.fetch) and over HTTP by the chaos drills.
import { createServer, type Server } from "node:http";
import type { Update, UserFromGetMe } from "grammy/types";
import { visibleText } from "../core/html.js";

export const fakeBotInfo: UserFromGetMe = {
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
  /** When it was served (the fake's clock, ms). */
  at: number;
  result?: any;
  error?: ApiFailure;
}

export type ApiFailure = {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
};

export interface StoredMessage {
  chatId: number;
  messageId: number;
  text: string;
  replyMarkup: any;
  /** Unix seconds it was sent (deleteMessage refuses messages older than 48 h). */
  date?: number;
  /** The bot's own message, or a user's (seen in an update through `receive`). */
  fromBot?: boolean;
}

/** The bot's membership in a chat, as getChatMember answers it for the bot itself. */
export type BotMembership = "administrator" | "member";

/** deleteMessage: "A message can only be deleted if it was sent less than 48 hours ago." */
const DELETE_WINDOW_S = 48 * 3600;

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

/** What Telegram would reject in this HTML, or null. */
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

export { visibleText };

/** Telegram's flood limits, as the dispatcher is meant to keep them. */
export const TELEGRAM_LIMITS = { perSecond: 30, perChatMs: 1000, perGroupPerMinute: 20 };
const SENDING = new Set(["sendMessage", "editMessageText", "editMessageReplyMarkup"]);

export function createFakeBotApi(
  options: {
    now?: () => number;
    botInfo?: UserFromGetMe;
    /** Refuse with 429 (and count) what goes over Telegram's limits: 30 messages/s, 1/s per chat, 20/min per group. */
    limits?: boolean;
  } = {},
) {
  const now = options.now ?? Date.now;
  const calls: ApiCall[] = [];
  const failures: { method: string; failure: ApiFailure }[] = [];
  const messages = new Map<string, StoredMessage>();
  const answered = new Set<string>();
  /** Pinned messages per chat ("chat:message" keys), in pin order. */
  const pins = new Set<string>();
  const pending: Update[] = [];
  const waiters: (() => void)[] = [];
  const listeners: ((call: ApiCall) => void)[] = [];
  let messageId = 1000;
  let updateId = 1;
  const accepted: { at: number; chatId: number }[] = [];
  let floodRefusals = 0;
  /** Groups upgraded to supergroups: old chat id → new chat id. */
  const migrated = new Map<number, number>();
  /**
   * The bot's status per group. A group not listed has the bot as an administrator with
   * can_delete_messages (the setup README asks for); `setBotMembership(chat, "member")` takes it away.
   */
  const membership = new Map<number, BotMembership>();
  const botId = (options.botInfo ?? fakeBotInfo).id;
  const canDeleteOthers = (chatId: number) =>
    chatId > 0 || (membership.get(chatId) ?? "administrator") === "administrator";
  /** Messages deleted, per chat (ids), for counting what the bot left. */
  const deleted: StoredMessage[] = [];

  /** Seconds to wait when this call would go over a limit, else null. Only accepted calls count. */
  const floodWait = (p: Record<string, any>, at: number): number | null => {
    while (accepted.length && at - accepted[0]!.at >= 60_000) accepted.shift();
    const { perSecond, perChatMs, perGroupPerMinute } = TELEGRAM_LIMITS;
    const lastSecond = accepted.filter((a) => at - a.at < 1000);
    const chat = accepted.filter((a) => a.chatId === p.chat_id);
    const waitUntil = Math.max(
      lastSecond.length >= perSecond ? lastSecond[lastSecond.length - perSecond]!.at + 1000 : 0,
      chat.length && at - chat.at(-1)!.at < perChatMs ? chat.at(-1)!.at + perChatMs : 0,
      p.chat_id < 0 && chat.length >= perGroupPerMinute ? chat[chat.length - perGroupPerMinute]!.at + 60_000 : 0,
    );
    return waitUntil > at ? Math.max(1, Math.ceil((waitUntil - at) / 1000)) : null;
  };

  const problemOf = (method: string, p: Record<string, any>): string | null => {
    if (migrated.has(p.chat_id)) return "group chat was upgraded to a supergroup chat";
    if ("text" in p) {
      if (typeof p.text !== "string" || p.text.trim().length === 0) return "message text is empty";
      if (p.parse_mode === "HTML") {
        const problem = htmlProblem(p.text);
        if (problem) return `can't parse entities: ${problem}`;
      }
      const length = p.parse_mode === "HTML" ? visibleText(p.text).length : p.text.length;
      if (length > 4096) return "message is too long";
    }
    for (const button of (p.reply_markup?.inline_keyboard as any[][] | undefined)?.flat() ?? []) {
      const data = button.callback_data as string | undefined;
      if (data !== undefined && (Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64)) {
        return "BUTTON_DATA_INVALID";
      }
    }
    if (method === "answerCallbackQuery") {
      if (answered.has(p.callback_query_id))
        return "query is too old and response timeout expired or query ID is invalid";
    }
    // https://core.telegram.org/bots/api#pinchatmessage and #unpinchatmessage: chat_id and an
    // integer message_id of a message in that chat (unpin: optional, the latest pin when absent).
    if (method === "pinChatMessage" || method === "unpinChatMessage") {
      if (typeof p.chat_id !== "number" && typeof p.chat_id !== "string") return "chat_id is empty";
      if (p.message_id === undefined && method === "unpinChatMessage") return null;
      if (!Number.isInteger(p.message_id)) return "message_id is empty";
      if (!messages.has(`${p.chat_id}:${p.message_id}`))
        return method === "pinChatMessage" ? "message to pin not found" : "message to unpin not found";
      return null;
    }
    if (method === "deleteMessage") {
      // https://core.telegram.org/bots/api#deletemessage — only messages under 48 h old; a bot deletes
      // its own messages anywhere and incoming ones in private chats, others' in groups only with
      // the can_delete_messages administrator right.
      const target = messages.get(`${p.chat_id}:${p.message_id}`);
      if (!target) return "message to delete not found";
      if (target.date !== undefined && Math.floor(now() / 1000) - target.date >= DELETE_WINDOW_S)
        return "message can't be deleted";
      if (!target.fromBot && !canDeleteOthers(p.chat_id)) return "message can't be deleted";
    }
    if (method === "getChatMember") {
      if (typeof p.chat_id !== "number" || typeof p.user_id !== "number") return "chat not found";
    }
    if (method === "editMessageText" || method === "editMessageReplyMarkup") {
      if (deleted.some((d) => d.chatId === p.chat_id && d.messageId === p.message_id))
        return "message to edit not found";
      const old = messages.get(`${p.chat_id}:${p.message_id}`);
      // A message this fake never saw was sent before it started: accept the edit.
      if (!old) return null;
      const text = method === "editMessageText" ? p.text : old.text;
      if (old.text === text && JSON.stringify(old.replyMarkup ?? null) === JSON.stringify(p.reply_markup ?? null)) {
        return "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
      }
    }
    return null;
  };

  const resultOf = (method: string, p: Record<string, any>): any => {
    const date = Math.floor(now() / 1000);
    switch (method) {
      case "getMe":
        return options.botInfo ?? fakeBotInfo;
      case "sendMessage": {
        const message: StoredMessage = {
          chatId: p.chat_id,
          messageId: ++messageId,
          text: p.text,
          replyMarkup: p.reply_markup ?? null,
          date,
          fromBot: true,
        };
        messages.set(`${p.chat_id}:${message.messageId}`, message);
        return {
          message_id: message.messageId,
          date,
          chat: { id: p.chat_id, type: p.chat_id < 0 ? "supergroup" : "private" },
          text: visibleText(p.text),
          ...(p.reply_markup ? { reply_markup: p.reply_markup } : {}),
        };
      }
      case "editMessageText":
      case "editMessageReplyMarkup": {
        const key = `${p.chat_id}:${p.message_id}`;
        const message = messages.get(key) ?? {
          chatId: p.chat_id,
          messageId: p.message_id,
          text: "",
          replyMarkup: null,
          fromBot: true,
        };
        messages.set(key, message);
        if (method === "editMessageText") message.text = p.text;
        message.replyMarkup = p.reply_markup ?? null;
        return {
          message_id: p.message_id,
          date,
          chat: { id: p.chat_id, type: "supergroup" },
          text: visibleText(message.text),
        };
      }
      case "answerCallbackQuery":
        answered.add(p.callback_query_id);
        return true;
      case "pinChatMessage":
        pins.add(`${p.chat_id}:${p.message_id}`);
        return true;
      case "unpinChatMessage": {
        const key =
          p.message_id === undefined
            ? [...pins].filter((k) => k.startsWith(`${p.chat_id}:`)).at(-1)
            : `${p.chat_id}:${p.message_id}`;
        if (key) pins.delete(key);
        return true;
      }
      case "deleteMessage": {
        const key = `${p.chat_id}:${p.message_id}`;
        deleted.push(messages.get(key)!);
        messages.delete(key);
        return true;
      }
      case "getChatMember": {
        const user = {
          id: p.user_id,
          is_bot: p.user_id === botId,
          first_name: p.user_id === botId ? "Nightshift" : "x",
        };
        if (p.user_id !== botId || p.chat_id > 0) return { status: "member", user };
        // https://core.telegram.org/bots/api#chatmemberadministrator
        return (membership.get(p.chat_id) ?? "administrator") === "administrator"
          ? {
              status: "administrator",
              user,
              can_be_edited: false,
              is_anonymous: false,
              can_manage_chat: true,
              can_delete_messages: true,
              can_manage_video_chats: false,
              can_restrict_members: false,
              can_promote_members: false,
              can_change_info: false,
              can_invite_users: true,
              can_post_stories: false,
              can_edit_stories: false,
              can_delete_stories: false,
            }
          : { status: "member", user };
      }
      default:
        return true;
    }
  };

  /** Serves one Bot API call. */
  const handle = (method: string, payload: Record<string, any>): { status: number; body: any; call: ApiCall } => {
    const call: ApiCall = { method, payload, at: now() };
    calls.push(call);
    const i = failures.findIndex((f) => f.method === method || f.method === "*");
    if (i >= 0 && method !== "getUpdates") {
      const { failure } = failures.splice(i, 1)[0]!;
      call.error = failure;
    } else {
      const problem = problemOf(method, payload);
      const wait = options.limits && SENDING.has(method) && !problem ? floodWait(payload, call.at) : null;
      const migrateTo = migrated.get(payload.chat_id);
      if (problem)
        call.error = {
          error_code: 400,
          description: `Bad Request: ${problem}`,
          ...(migrateTo !== undefined ? { parameters: { migrate_to_chat_id: migrateTo } } : {}),
        };
      else if (wait !== null) {
        floodRefusals++;
        call.error = {
          error_code: 429,
          description: `Too Many Requests: retry after ${wait}`,
          parameters: { retry_after: wait },
        };
      } else {
        if (options.limits && SENDING.has(method)) accepted.push({ at: call.at, chatId: payload.chat_id });
        call.result = resultOf(method, payload);
      }
    }
    for (const listener of listeners) listener(call);
    return call.error
      ? { status: call.error.error_code, body: { ok: false, ...call.error }, call }
      : { status: 200, body: { ok: true, result: call.result }, call };
  };

  const takeUpdates = async (p: Record<string, any>): Promise<Update[]> => {
    const offset = Number(p.offset ?? 0);
    while (pending.length && pending[0]!.update_id < offset) pending.shift();
    if (pending.length === 0 && Number(p.timeout ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(Number(p.timeout), 2) * 1000);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    while (pending.length && pending[0]!.update_id < offset) pending.shift();
    return pending.slice(0, Number(p.limit ?? 100));
  };

  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const method = String(url).split("/").pop()!;
    const payload = init?.body ? JSON.parse(String(init.body)) : {};
    if (method === "getUpdates") {
      const result = await takeUpdates(payload);
      return new Response(JSON.stringify({ ok: true, result }));
    }
    const { status, body } = handle(method, payload);
    return new Response(JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;

  return {
    fetch,
    handle,
    calls,
    messages,
    /** Successful calls of one method (all attempts with `all`). */
    of: (method: string, all = false) => calls.filter((c) => c.method === method && (all || !c.error)),
    /** The next `times` calls to `method` ("*" = any) fail with this error. */
    failNext: (method: string, failure: ApiFailure, times = 1) => {
      for (let n = 0; n < times; n++) failures.push({ method, failure });
    },
    /** The ids of the messages pinned in a chat now, in pin order. */
    pinned: (chatId: number) =>
      [...pins].filter((k) => k.startsWith(`${chatId}:`)).map((k) => Number(k.slice(k.indexOf(":") + 1))),
    /** Messages successfully sent to a chat, in order. */
    sentTo: (chatId: number) =>
      calls.filter((c) => c.method === "sendMessage" && !c.error && c.payload.chat_id === chatId),
    /**
     * The group becomes a supergroup with a new id: from now on every call to the old id is refused
     * with 400 "group chat was upgraded to a supergroup chat" and parameters.migrate_to_chat_id.
     */
    migrateChat: (oldChatId: number, newChatId: number) => {
      migrated.set(oldChatId, newChatId);
    },
    /** The bot's status in a group from now on (default: administrator with can_delete_messages). */
    setBotMembership: (chatId: number, status: BotMembership) => {
      membership.set(chatId, status);
    },
    /** Records a user's message the bot received (so deleteMessage knows it, its date and sender). */
    receive: (update: Update) => {
      const m = update.message ?? update.edited_message;
      if (!m || m.from?.id === botId) return;
      messages.set(`${m.chat.id}:${m.message_id}`, {
        chatId: m.chat.id,
        messageId: m.message_id,
        text: m.text ?? "",
        replyMarkup: null,
        date: m.date,
        fromBot: false,
      });
    },
    /** The bot's messages still in a chat: sent minus deleted. */
    botMessagesLeft: (chatId: number): StoredMessage[] =>
      [...messages.values()].filter((m) => m.chatId === chatId && m.fromBot),
    /** Whether a user's message is still in its chat. */
    hasMessage: (chatId: number, messageId: number) => messages.has(`${chatId}:${messageId}`),
    /** Calls refused with 429 for going over Telegram's limits (with `limits`). */
    floodRefusals: () => floodRefusals,
    /** Calls Telegram would have refused as bad requests. */
    errors: () => calls.filter((c) => c.error && c.error.error_code === 400),
    clear: () => {
      calls.length = 0;
    },
    onCall: (listener: (call: ApiCall) => void) => listeners.push(listener),
    /** Queues an update for getUpdates (its update_id is assigned here when missing). */
    pushUpdate: (update: Omit<Update, "update_id"> & { update_id?: number }): Update => {
      const full = { ...update, update_id: update.update_id ?? updateId++ } as Update;
      updateId = Math.max(updateId, full.update_id + 1);
      const m = full.message;
      if (m && m.from?.id !== botId)
        messages.set(`${m.chat.id}:${m.message_id}`, {
          chatId: m.chat.id,
          messageId: m.message_id,
          text: m.text ?? "",
          replyMarkup: null,
          date: m.date,
          fromBot: false,
        });
      pending.push(full);
      for (const wake of waiters.splice(0)) wake();
      return full;
    },
  };
}
export type FakeBotApi = ReturnType<typeof createFakeBotApi>;

/** Serves a fake over HTTP at `http://127.0.0.1:<port>` (use as TELEGRAM_API_ROOT). */
export function serveFakeBotApi(
  api: FakeBotApi,
  port = 0,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = `http://x${req.url}`;
    const response = await api.fetch(url, { method: "POST", body: body || undefined });
    res.writeHead(response.status, { "content-type": "application/json" });
    res.end(await response.text());
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      resolve({
        server,
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
