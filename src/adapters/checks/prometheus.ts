// Prometheus instant queries (`/api/v1/query`): the Metrics port. The thresholds they are judged by
// live in src/core/watch-rules.ts. Every query returns a ratio (0–1) except p95 (seconds).
import { z } from "zod";
import type { Metrics } from "../../app/ports.js";
import type { PrometheusConfig } from "../../config.js";
import { METRICS, type Readings } from "../../core/watch-rules.js";
import { outsideText } from "../../i18n/index.js";
import { ANSWER_LIMIT_BYTES, fetchAnswer, sizeLabel } from "./http-answer.js";

const T = outsideText.prometheus;

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
  options: { at?: Date; timeoutMs?: number; authorization?: string | undefined; limitBytes?: number } = {},
): Promise<number | null> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("query", promql);
  if (options.at) url.searchParams.set("time", String(options.at.getTime() / 1000));
  const limit = options.limitBytes ?? ANSWER_LIMIT_BYTES;
  const response = await fetchAnswer(
    url,
    {
      ...(options.authorization ? { headers: { authorization: options.authorization } } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    },
    { limit },
  );
  if (response.redirectHost !== null) throw new Error(T.redirected(response.status, response.redirectHost));
  if (response.status < 200 || response.status >= 300) throw new Error(`Prometheus HTTP ${response.status}`);
  if (response.cut) throw new Error(T.tooLarge(sizeLabel(limit)));
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    throw new Error(T.notJson);
  }
  const result = answer.safeParse(json);
  if (!result.success) throw new Error(T.wrongShape);
  const parsed = result.data;
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
    const value = await queryPrometheus(config.url, promql, {
      authorization: config.authorization,
      ...(at ? { at } : {}),
    });
    if (value !== null) readings[metric] = value;
  }
  return readings;
}

/** p95 before the deploy: the same query evaluated at an earlier instant. */
export async function readBaselineP95(config: PrometheusConfig, before: Date): Promise<number | null> {
  return config.p95
    ? queryPrometheus(config.url, config.p95, { at: before, authorization: config.authorization })
    : null;
}

/** The Metrics port, as src/main.ts wires it. */
export const prometheusMetrics: Metrics = { read: readMetrics, baselineP95: readBaselineP95 };
