// The window engine's own words: why a window was missed or skipped, its run summary, analysis notes.
export const windowText = {
  /** The bot came back `late` minutes after the window, past its grace period. */
  missedDown: (late: number) => `機器人停機，${late} 分鐘後才恢復`,
  missedNextBegun: "機器人停機，恢復時下一個視窗已開始",
  failed: (error: string) => `錯誤：${error}`,
  waitedTooLong: "前一個視窗執行超過 3 小時仍未結束",
  frozen: (reasons: readonly string[]) => `封版中：${reasons.join("、")}`,
  moduleReason: (module: string | null, reason: string) => `${module}：${reason}`,
  onlyFrozen: "僅有封版模組的 bug，已略過",
  nothingToDo: "無待處理 bug",
  checklistFailed: "部署前檢查未通過",
  analysed: (n: number) => `分析 ${n} 個`,
  flow2Queued: (ids: string) => `Flow 2 排隊 PROD：${ids}`,
  fixPlan: (plan: string, risk: string) => `${plan}\n\n風險：${risk}`,
  noAnalyzer: "未設定 AI 分析",
  analysisFailed: (error: string) => `AI 分析失敗：${error}`,
  releaseSucceeded: (env: string, version: string, ids: string) => `${env} ${version} 成功：${ids}`,
  releaseFailed: (env: string, version: string, status: string) => `${env} ${version} 失敗（${status}）`,
};
