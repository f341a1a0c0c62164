// Group messages for the outbox, in the app's terms: split under Telegram's limit with the buttons
// under the last part, and the approval buttons that sit under the Flow 1 UAT and Flow 2 PROD
// notifications. src/adapters/notify/render.ts turns them into Bot API parameters.
import { splitMessage } from "../core/html.js";
import { APPROVE_LABELS } from "../i18n/index.js";
import { type NoticeButtons, type NoticeDraft, notice, noticeEdit } from "./outbox.js";

export function messages(
  chatId: number,
  text: string,
  extra: {
    buttons?: NoticeButtons;
    /** The same as `buttons` (its older name, still used by the window engine). */
    replyMarkup?: NoticeButtons;
    dedupeKey?: string;
    urgent?: boolean;
  } = {},
): NoticeDraft[] {
  const parts = splitMessage(text);
  const buttons = extra.buttons ?? extra.replyMarkup;
  return parts.map((part, i) =>
    notice(chatId, part, {
      ...(i === parts.length - 1 && buttons ? { buttons } : {}),
      ...(extra.dedupeKey ? { dedupeKey: parts.length > 1 ? `${extra.dedupeKey}:${i}` : extra.dedupeKey } : {}),
      ...(extra.urgent ? { urgent: true } : {}),
    }),
  );
}

/** An edit of the message another outbox row sent. */
export const editMessage = (chatId: number, outboxId: number, text: string): NoticeDraft =>
  noticeEdit(chatId, outboxId, text);

const APPROVALS = {
  prod: { one: "approveProd", all: "approveProdAll", label: APPROVE_LABELS.prod },
  uatMerge: { one: "approveUatMerge", all: "approveUatMergeAll", label: APPROVE_LABELS.uatMerge },
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
): NoticeButtons {
  const a = APPROVALS[kind];
  const rows: NoticeButtons = (bugs.length > MAX_BUG_BUTTONS ? [] : bugs).map((b) => [
    { label: `${a.label} #${b.id}`, action: a.one, id: b.id, version: b.rowVersion },
  ]);
  if (bugs.length > 1) rows.push([{ label: APPROVE_LABELS.all, action: a.all, id: deploymentId, version: 0 }]);
  return rows;
}
