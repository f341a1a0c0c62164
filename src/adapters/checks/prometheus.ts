// Prometheus instant queries (`/api/v1/query`) and the spec's post-deploy thresholds.
// Every query must return a ratio (0–1) except p95, which is compared with its own pre-deploy baseline.
import { z } from "zod";
import type { PrometheusConfig } from "../../config.js";

export const METRICS = ["errorRate", "p95", "memory", "cpu", "loginSuccess"] as const;
export type Metric = (typeof METRICS)[number];

/** Functional breaches roll back (like a failed smoke test); the others are reported. */
export const FUNCTIONAL_METRICS: readonly Metric[] = ["errorRate", "loginSuccess"];

export const METRIC_LABELS: Record<Metric, string> = {
  errorRate: "HTTP 5xx",
  p95: "p95",
  memory: "記憶體",
  cpu: "CPU",
  loginSuccess: "登入成功率",
};

export interface Breach {
  metric: Metric;
  value: number;
  /** The limit it crossed, in the metric's own unit. */
  limit: number;
  functional: boolean;
}

export type Readings = Partial<Record<Metric, number>>;

const answer = z.object({
  status: z.literal("success"),
  data: z.union([
    z.object({
      resultType: z.literal("vector"),
      result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })),
    }),
    z.object({ resultType: z.literal("scalar"), result: z.tuple([z.number(), z.string()]) }),
  ]),
});

/** The first sample of an instant query, or null when the query has no data. Throws when unreachable. */
export async function queryPrometheus(
  baseUrl: string,
  promql: string,
  options: { at?: Date; timeoutMs?: number } = {},
): Promise<number | null> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("query", promql);
  if (options.at) url.searchParams.set("time", String(options.at.getTime() / 1000));
  const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  if (!response.ok) throw new Error(`Prometheus HTTP ${response.status}`);
  const parsed = answer.parse(await response.json());
  const sample = parsed.data.resultType === "scalar" ? parsed.data.result : parsed.data.result[0]?.value;
  if (!sample) return null;
  const value = Number(sample[1]);
  return Number.isFinite(value) ? value : null;
}

/** Reads every configured metric now. */
export async function readMetrics(config: PrometheusConfig, at?: Date): Promise<Readings> {
  const readings: Readings = {};
  for (const metric of METRICS) {
    const promql = config[metric];
    if (!promql) continue;
    const value = await queryPrometheus(config.url, promql, at ? { at } : {});
    if (value !== null) readings[metric] = value;
  }
  return readings;
}

/** p95 before the deploy: the same query evaluated at an earlier instant. */
export async function readBaselineP95(config: PrometheusConfig, before: Date): Promise<number | null> {
  return config.p95 ? queryPrometheus(config.url, config.p95, { at: before }) : null;
}

/** The spec's table: 5xx < 0.5%, p95 < baseline + 20%, memory < 85%, CPU < 80%, login success > 99%. */
export function breaches(readings: Readings, baselineP95: number | null): Breach[] {
  const out: Breach[] = [];
  const above = (metric: Metric, limit: number) => {
    const value = readings[metric];
    if (value !== undefined && value >= limit)
      out.push({ metric, value, limit, functional: FUNCTIONAL_METRICS.includes(metric) });
  };
  above("errorRate", 0.005);
  if (baselineP95 !== null) above("p95", baselineP95 * 1.2);
  above("memory", 0.85);
  above("cpu", 0.8);
  const login = readings.loginSuccess;
  if (login !== undefined && login <= 0.99)
    out.push({ metric: "loginSuccess", value: login, limit: 0.99, functional: true });
  return out;
}

const percent = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** `p95 0.62 ≥ 0.6(基準 0.5 + 20%)`, `HTTP 5xx 1.2% ≥ 0.5%` — raw text. */
export function describeBreach(b: Breach, baselineP95: number | null): string {
  if (b.metric === "p95") {
    return `${METRIC_LABELS.p95} ${Number(b.value.toFixed(4))} ≥ ${Number(b.limit.toFixed(4))}（基準 ${baselineP95} + 20%）`;
  }
  const op = b.metric === "loginSuccess" ? "≤" : "≥";
  return `${METRIC_LABELS[b.metric]} ${percent(b.value)} ${op} ${percent(b.limit)}`;
}
