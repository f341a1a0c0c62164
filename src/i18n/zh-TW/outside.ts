// What the chat says when an outside service answers badly: a pre-deploy/health check, Prometheus,
// the AI analysis. Raw text (callers escape); the outside values come in already cleaned.

const timedOut = (seconds: number) => `逾時（${seconds}s）`;
const unreachable = (why: string) => `無法連線：${why}`;
const redirected = (status: number, host: string) => `HTTP ${status} 重新導向至 ${host}（不跟隨）`;

export const outsideText = {
  /** A check's one-line detail (checklist, health after a deploy). */
  check: {
    timedOut,
    unreachable,
    redirected,
    unexpectedStatus: (status: number, expected: number) => `HTTP ${status}（預期 ${expected}）`,
    notStarted: (why: string) => `無法執行：${why}`,
  },
  /** Why a Prometheus query gave no value (the watch shows it). */
  prometheus: {
    redirected: (status: number, host: string) => `Prometheus ${redirected(status, host)}`,
    tooLarge: (size: string) => `Prometheus 回應超過 ${size}，未讀完`,
    notJson: "Prometheus 回應不是 JSON",
    wrongShape: "Prometheus 回應不是 /api/v1/query 的格式",
  },
  /** Why the AI analysis failed (the window summary shows it). */
  analysis: {
    timedOut,
    unreachable,
    wrongShape: "回應格式不符 chat completions",
    notJson: "回應不是 JSON",
    missingFields: "JSON 缺少 root_cause / fix_plan / risk",
  },
};
