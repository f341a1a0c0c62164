// The strict Bot API fake (src/sandbox/fake-bot-api.ts) as tests use it, and update builders.
import type { Update } from "grammy/types";
import { createFakeBotApi, fakeBotInfo, htmlProblem } from "../../src/sandbox/fake-bot-api.js";

export type { ApiCall } from "../../src/sandbox/fake-bot-api.js";
export { htmlProblem };
export const botInfo = fakeBotInfo;

/** A fake Bot API to pass as grammY's client.fetch (it reaches conversations too). */
export const fakeTelegram = (options: { now?: () => number } = {}) => createFakeBotApi(options);
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
  message: { chatId: number; messageId: number; text?: string; replyMarkup?: unknown },
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
        ...(message.replyMarkup ? { reply_markup: message.replyMarkup } : {}),
      },
    },
  } as Update;
}

/** Every inline button of a payload, flattened. */
export const buttonsOf = (payload: Record<string, any>): { text: string; callback_data?: string; url?: string }[] =>
  (payload.reply_markup?.inline_keyboard ?? []).flat();
