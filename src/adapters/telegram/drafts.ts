// Outbox drafts the Telegram adapter builds itself: Bot API parameters for an HTML message (its cards
// carry grammY keyboards). Use cases enqueue domain notices (src/app/outbox.ts `notice()`) instead.
import type { PayloadDraft } from "../../app/outbox.js";

/** An HTML message draft for the outbox. */
export const htmlMessage = (
  chatId: number,
  text: string,
  extra: { replyMarkup?: unknown; dedupeKey?: string; notBefore?: Date; urgent?: boolean } = {},
): PayloadDraft => ({
  chatId,
  payload: {
    text,
    parse_mode: "HTML",
    link_preview_options: { is_disabled: true },
    ...(extra.replyMarkup ? { reply_markup: extra.replyMarkup } : {}),
  },
  ...(extra.dedupeKey ? { dedupeKey: extra.dedupeKey } : {}),
  ...(extra.notBefore ? { notBefore: extra.notBefore } : {}),
  ...(extra.urgent ? { urgent: true } : {}),
});
