// issue 17: a quiet team group and a phone-first admin — the deep link that moves questions to a
// private chat, /todo (what waits for me), /notify (private notifications) and their command menu.
import { escapeHtml as e } from "../../core/html.js";
import type { Status } from "../../core/model.js";
import { zhTW } from "./bot.js";

const STATUS = zhTW.labels.status;

/** A bug as a private notice names it. */
export interface NoticeBug {
  id: number;
  title: string;
}
/** A private notice names this many bugs at most (a large release stays one short message). */
const LISTED = 10;
const bullets = (bugs: readonly NoticeBug[]) => [
  ...bugs.slice(0, LISTED).map((b) => `• #${b.id} ${e(b.title)}`),
  ...(bugs.length > LISTED ? [`…另有 ${bugs.length - LISTED} 個`] : []),
];
/** Under every private notice: its buttons act at once, /todo shows everything waiting. */
const HINT = "點下方按鈕即可處理，或傳 /todo 查看所有待辦。";

interface DueNotice {
  version: string;
  bugs: readonly NoticeBug[];
  cutoff: string;
}
/** A release that waits for an admin's approval before the T2 cutoff (批准推 PROD / 批准 Merge UAT). */
const dueNotice = (env: "UAT" | "PROD", button: string, effect: string, p: DueNotice) =>
  [
    `🔔 ${env} ${e(p.version)} 已部署，待你驗收後「${button}」：`,
    ...bullets(p.bugs),
    `⏰ ${e(p.cutoff)} 的 T2 視窗前批准，當次${effect}；之後才批准的，排入下一次 T2。`,
    HINT,
  ].join("\n");

export const quietText = {
  commands: {
    todo: "待辦：等我處理的事項（成員：我回報的問題）",
    notify: "私訊通知：/notify on|off",
  },
  /** Posted in the group when the bot may not delete answers there: the questions go to a private chat. */
  deepLink: (who: string) => `📝 ${e(who)}，請點下方按鈕在私訊中繼續（群組只會留下結果）。`,
  deepLinkButton: "💬 到私訊繼續",
  linkExpired: "這個連結已失效或不是給你的，請回到群組重新輸入指令。",
  /** A hint shown above the current question (the one question message is edited). */
  withHint: (hint: string, question: string) => `⚠️ ${e(hint)}\n\n${question}`,
  todo: {
    privateOnly: "請私訊我使用 /todo。",
    header: "📋 <b>等你處理的事項</b>（新的在前）",
    nothing: "✅ 目前沒有等你處理的事項。",
    triage: (id: number, title: string) => `🆕 #${id} ${e(title)} — 待分類`,
    approveProd: (id: number, title: string, cutoff: string | null) =>
      `🧪 #${id} ${e(title)} — 已上 UAT，待批准推 PROD${cutoff ? `（${e(cutoff)} T2 前批准，當次部署）` : ""}`,
    approveUat: (id: number, title: string) => `🚀 #${id} ${e(title)} — 已上 PROD，待批准 Merge UAT`,
    hotfix: (id: number, bugId: number, requester: string, expires: string) =>
      `🚨 Hotfix 申請 #${id}（#${bugId}，${e(requester)} 提出）待第二位管理員核准，${e(expires)} 前有效`,
    held: (id: number, title: string) => `⏸ #${id} ${e(title)} — 回滾後暫停，可重新排入`,
    hotfixButton: (id: number) => `✅ 核准 Hotfix #${id}`,
    requeueButton: (id: number) => `↩ 重新排入 #${id}`,
    more: (n: number) => `…另有 ${n} 項，處理完再傳 /todo。`,
    mineHeader: "📋 <b>你回報的問題</b>（新的在前）",
    mineNothing: "你目前沒有回報中的問題。",
    mine: (id: number, title: string, status: Status) => `#${id} ${e(title)} — ${STATUS[status]}`,
  },
  notify: {
    usage: (on: boolean) => `用法：/notify on 或 /notify off（目前：${on ? "開啟" : "關閉"}）`,
    on: "🔔 已開啟私訊通知：有新 bug 待分類、版本待批准（推 PROD 或 Merge UAT，附 T2 截止時間，並於截止前 30 分鐘提醒）、緊急修正待第二位管理員核准時，會私訊你。",
    off: "🔕 已關閉私訊通知。",
    adminsOnly: "私訊通知只提供給管理員。",
    newBug: (id: number, title: string) => `🔔 新 bug #${id} ${e(title)} 待分類。傳 /todo 查看。`,
    /** The T2 − 30 min approval reminder (already HTML, built by approvalReminder), privately. */
    reminder: (reminderHtml: string) => [reminderHtml, "傳 /todo 查看並處理。"].join("\n"),
    /** T1's UAT release asks for 批准推 PROD; cutoff: formatWindowTime of the T2 it may ride. */
    approvalDue: (p: DueNotice) => dueNotice("UAT", "批准推 PROD", "部署至 PROD", p),
    /** T2's PROD release (Flow 2) asks for 批准 Merge UAT; cutoff as above. */
    mergeDue: (p: DueNotice) => dueNotice("PROD", "批准 Merge UAT", "合併回 UAT", p),
    /** A hotfix request waiting for a second admin (a CTO during Lunar New Year). */
    hotfix: (p: { requestId: number; bug: NoticeBug; requester: string; until: string; ctoOnly: boolean }) =>
      [
        `🔔 ${e(p.requester)} 申請 #${p.bug.id} ${e(p.bug.title)} 的緊急修正（申請 #${p.requestId}），需要第二位管理員核准${p.ctoOnly ? "（農曆新年封版，限 CTO）" : ""}。`,
        `⏰ ${e(p.until)} 前有效，逾時自動取消。`,
        HINT,
      ].join("\n"),
  },
} as const;
