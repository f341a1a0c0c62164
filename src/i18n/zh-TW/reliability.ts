// Chat text for the deploy path's reliability: one change at a time per environment, a release
// whose outcome could not be recorded. Every outside string is escaped here; callers pass raw text.
import { escapeHtml } from "../../core/html.js";
import type { Env } from "../../core/model.js";
import { ENV_LABEL as ENV } from "./labels.js";

export const reliability = {
  /** What holds an environment (shown to the change that waits for it). */
  holders: {
    window: (slot: string) => `${slot.toUpperCase()} 部署`,
    rollback: "回滾",
    hotfix: "緊急修復",
  },
  /** Said once when a change waits for another change of the same environment. */
  waiting: (p: { env: Env; holder: string; what: string }) =>
    `⏳ ${ENV[p.env]} 正在進行${escapeHtml(p.holder)}，本次${escapeHtml(p.what)}會等它結束後再執行。`,
  /** Gave up waiting (the other change held the environment too long). */
  busyTooLong: (env: Env, holder: string) => `${ENV[env]} 的${escapeHtml(holder)}執行過久仍未結束，本次變更未執行。`,
  outcomeUnrecorded: (p: { env: Env; version: string; status: string; error: string }) =>
    [
      `🚨 ${ENV[p.env]} ${escapeHtml(p.version)} 的部署已結束（${escapeHtml(p.status)}），但結果無法寫入資料庫。`,
      `錯誤：${escapeHtml(p.error)}`,
      "相關 bug 未移動、環境版本未更新，請管理員確認環境實際狀態後手動處理。",
    ].join("\n"),
  statusWords: { succeeded: "成功", failed: "失敗", timed_out: "逾時" } as Record<string, string>,
  /** A window that was running when the bot stopped (its summary after the restart). */
  interruptedByRestart: "執行中斷（機器人重啟）",
  /** A window missed because the database could not be reached when it was due. */
  missedDatabase: (error: string) => `資料庫無法連線（${error}）`,
};
