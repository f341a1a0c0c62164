// Notifications to Bot API parameters: a stored notice (HTML text and domain buttons, written by
// src/app/outbox.ts) becomes what sendMessage/editMessageText/editMessageReplyMarkup take, with
// parse_mode and an inline keyboard whose callback data is encoded by src/core/callback-data.ts.
// Rows that already hold Bot API parameters (written before notices existed, or by the Telegram
// adapter's own cards) are sent as they are.
import { NOTICE_FORMAT, type NoticeButtons, type StoredNotice } from "../../app/outbox.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../core/callback-data.js";

export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

export const telegramKeyboard = (buttons: NoticeButtons): InlineKeyboard => ({
  inline_keyboard: buttons.map((row) =>
    row.map((b) => ({
      text: b.label,
      callback_data: encodeCallback({ action: CALLBACK_ACTIONS[b.action], id: b.id, version: b.version }),
    })),
  ),
});

const isNotice = (payload: Record<string, unknown>): payload is StoredNotice & Record<string, unknown> =>
  payload.format === NOTICE_FORMAT;

/** The Bot API parameters (without chat_id and message_id) for a stored outbox payload. */
export function telegramPayload(payload: Record<string, unknown>): Record<string, unknown> {
  if (!isNotice(payload)) return payload;
  return {
    ...(payload.text !== undefined
      ? { text: payload.text, parse_mode: "HTML", link_preview_options: { is_disabled: true } }
      : {}),
    ...(payload.buttons !== undefined ? { reply_markup: telegramKeyboard(payload.buttons) } : {}),
  };
}
