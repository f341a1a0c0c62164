// Group messages for the outbox: split under Telegram's limit, buttons under the last part, and
// the approval keyboards that sit under the Flow 1 UAT and Flow 2 PROD notifications.
import { CALLBACK_ACTIONS, encodeCallback } from "../core/callback-data.js";
import { splitMessage } from "../core/html.js";
import { APPROVE_LABELS } from "../i18n/index.js";
import { htmlMessage, type OutboxDraft } from "./outbox.js";

export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

export function messages(
  chatId: number,
  text: string,
  extra: { replyMarkup?: InlineKeyboard; dedupeKey?: string; urgent?: boolean } = {},
): OutboxDraft[] {
  const parts = splitMessage(text);
  return parts.map((part, i) =>
    htmlMessage(chatId, part, {
      ...(i === parts.length - 1 && extra.replyMarkup ? { replyMarkup: extra.replyMarkup } : {}),
      ...(extra.dedupeKey ? { dedupeKey: parts.length > 1 ? `${extra.dedupeKey}:${i}` : extra.dedupeKey } : {}),
      ...(extra.urgent ? { urgent: true } : {}),
    }),
  );
}

/** An edit of the message another outbox row sent. */
export const editMessage = (chatId: number, outboxId: number, text: string): OutboxDraft => ({
  chatId,
  method: "editMessageText",
  editsOutboxId: outboxId,
  payload: { text, parse_mode: "HTML", link_preview_options: { is_disabled: true } },
});

const APPROVALS = {
  prod: { one: CALLBACK_ACTIONS.approveProd, all: CALLBACK_ACTIONS.approveProdAll, label: APPROVE_LABELS.prod },
  uatMerge: {
    one: CALLBACK_ACTIONS.approveUatMerge,
    all: CALLBACK_ACTIONS.approveUatMergeAll,
    label: APPROVE_LABELS.uatMerge,
  },
} as const;

/** Telegram refuses keyboards of more than ~100 buttons: past this many bugs only 「全部批准」 stays. */
export const MAX_BUG_BUTTONS = 20;

/**
 * One button per bug (its current row version) and 「全部批准」 for the release when there are
 * several; a large release gets only 「全部批准」 (single bugs: /approve_prod <id>).
 */
export function approvalKeyboard(
  kind: keyof typeof APPROVALS,
  bugs: readonly { id: number; rowVersion: number }[],
  deploymentId: number,
): InlineKeyboard {
  const a = APPROVALS[kind];
  const rows = (bugs.length > MAX_BUG_BUTTONS ? [] : bugs).map((b) => [
    { text: `${a.label} #${b.id}`, callback_data: encodeCallback({ action: a.one, id: b.id, version: b.rowVersion }) },
  ]);
  if (bugs.length > 1) {
    rows.push([
      { text: APPROVE_LABELS.all, callback_data: encodeCallback({ action: a.all, id: deploymentId, version: 0 }) },
    ]);
  }
  return { inline_keyboard: rows };
}
