// zh-TW text for how conversations (/report, /hotfix, /rollback, 拒絕原因) end: idle timeout, another
// command, a Telegram error, too many steps, and buttons of an ended conversation.
// Renderers return HTML: every argument that may come from a user is escaped here.
import { escapeHtml as e } from "../../core/html.js";

/** What each conversation is called in chat. */
const NAMES: Record<string, string> = {
  report: "回報 bug",
  reject: "拒絕原因",
  hotfix: "緊急修正",
  rollback: "回滾",
};
const named = (ids: readonly string[]) =>
  ids
    .map((id) => NAMES[id])
    .filter(Boolean)
    .map((n) => `「${n}」`)
    .join("、");

export const conversationText = {
  /** The conversation was idle too long; `who` names the user in a group. */
  timedOut: (input: { ids: readonly string[]; minutes: number; who: string | null }) =>
    `⌛ ${input.who ? `${e(input.who)} 的` : ""}${named(input.ids) || "對話"}已逾時，已取消（閒置超過 ${input.minutes} 分鐘）。`,
  /** Another command was sent during a conversation: it ends, the command runs. */
  endedByCommand: (ids: readonly string[]) => `已結束進行中的${named(ids) || "對話"}。`,
  /** Toast for a button of a conversation that is over. */
  ended: "這個對話已結束",
  /** A Telegram error inside a conversation ended it. */
  telegramFailed: "⚠️ Telegram 無法送出訊息，這個對話已結束，請重新開始。",
  /** A Telegram error outside conversations. */
  actionFailed: "⚠️ Telegram 無法完成這個動作，請再試一次。",
  /** The stored conversation grew past its bound (steps or size). */
  tooManySteps: "⚠️ 這個對話的步驟太多，已取消，請重新開始。",
  /** `-`, blank or whitespace-only titles are refused. */
  titleRequired: "標題不能空白或只有「-」，請輸入 bug 標題：",
  /** An answer was empty after cleaning. */
  answerRequired: "請輸入文字回答（或 /cancel 取消）：",
};
