// zh-TW text for escalation (issue 12): a critical bug mentions the on-call and the admins and stays
// pinned until it is resolved; a high bug tells the admins. HTML: every outside string is escaped.
import { escapeHtml as e } from "../../core/html.js";
import type { Severity } from "../../core/model.js";

export interface MentionPerson {
  id: number;
  /** Display name; null: not seen by the bot yet. */
  name: string | null;
}

/** A Telegram mention that notifies the user (HTML text mention), the name escaped. */
export const mention = (p: MentionPerson): string =>
  `<a href="tg://user?id=${Math.trunc(p.id)}">${e(p.name?.trim() || `使用者 ${p.id}`)}</a>`;

const bugLine = (bug: { id: number; severity: Severity; title: string }) =>
  `#${bug.id} [${bug.severity}] ${e(bug.title)}`;

export const escalation = {
  critical: (input: {
    bug: { id: number; severity: Severity; title: string; reporterName: string };
    oncall: MentionPerson | null;
    admins: MentionPerson[];
  }) =>
    [
      `🚨 嚴重 bug，立即升級處理：${bugLine(input.bug)}`,
      `回報人：${e(input.bug.reporterName)}`,
      `值班：${input.oncall ? mention(input.oncall) : "今天沒有設定值班（請用 /oncall 指定）"}`,
      `管理員：${input.admins.length ? input.admins.map(mention).join("、") : "（未設定）"}`,
      `→ 請立即以緊急修正處理：/hotfix ${input.bug.id}。此訊息會置頂，直到 bug 解決為止。`,
    ].join("\n"),
  high: (input: {
    bug: { id: number; severity: Severity; title: string; reporterName: string };
    admins: MentionPerson[];
  }) =>
    [
      `⚠️ 高嚴重度 bug：${bugLine(input.bug)}`,
      `回報人：${e(input.bug.reporterName)}`,
      `管理員：${input.admins.length ? input.admins.map(mention).join("、") : "（未設定）"}`,
      `→ 不進排程視窗，請以緊急修正處理：/hotfix ${input.bug.id}`,
    ].join("\n"),
};
