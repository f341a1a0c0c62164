// How the watch names metrics and breaches in chat.
import type { Breach, Metric } from "../../core/watch-rules.js";

export const METRIC_LABELS: Record<Metric, string> = {
  errorRate: "HTTP 5xx",
  p95: "p95",
  memory: "記憶體",
  cpu: "CPU",
  loginSuccess: "登入成功率",
};

const percent = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** `p95 0.62 ≥ 0.6（基準 0.5 + 20%）`, `HTTP 5xx 1.2% ≥ 0.5%` — raw text. */
export function describeBreach(b: Breach, baselineP95: number | null): string {
  if (b.metric === "p95") {
    return `${METRIC_LABELS.p95} ${Number(b.value.toFixed(4))} ≥ ${Number(b.limit.toFixed(4))}（基準 ${baselineP95} + 20%）`;
  }
  const op = b.metric === "loginSuccess" ? "≤" : "≥";
  return `${METRIC_LABELS[b.metric]} ${percent(b.value)} ${op} ${percent(b.limit)}`;
}
