// issue 12: the post-deploy watch of an environment (`environments.<env>.watch`) and its defaults:
// PROD watches 30 minutes, UAT 10, never less than 10; CPU breaches count once sustained for
// `cpuSustainedRounds` rounds (default 3); a Prometheus block must name at least one query; the
// post-rollback watch lasts `rollbackMinutes` (default 10, the seed's "5–10 min smoke test").
import { z } from "zod";
import type { Env } from "../core/model.js";
import { bi } from "./messages.js";
import type { Check, Defaults, PrometheusConfig } from "./pipeline-targets.js";
import { custom, jsonInt, strict } from "./schemas.js";

/** The post-deploy watch's length when the file says nothing: the seed's 30 minutes on PROD, 10 on UAT. */
export const DEFAULT_WATCH_MINUTES: Record<Env, number> = { uat: 10, prod: 30 };
export const MIN_WATCH_MINUTES = 10;
export const DEFAULT_CPU_SUSTAINED_ROUNDS = 3;
export const DEFAULT_ROLLBACK_WATCH_MINUTES = 10;

/** The Prometheus metric queries a block may name (one at least). */
export const PROMETHEUS_QUERIES = ["errorRate", "p95", "memory", "cpu", "loginSuccess"] as const;

/** The watch after a deploy when the file says nothing about it (PROMETHEUS_URL alone names no query: no Prometheus). */
export const defaultWatch = (_d: Defaults, env: Env) => ({
  minutes: DEFAULT_WATCH_MINUTES[env],
  intervalSeconds: 60,
  onFailure: "auto" as const,
  cpuSustainedRounds: DEFAULT_CPU_SUSTAINED_ROUNDS,
  rollbackMinutes: DEFAULT_ROLLBACK_WATCH_MINUTES,
  smoke: null as Check | null,
  prometheus: null as PrometheusConfig | null,
});

/** The `watch` schema of one environment (its defaults depend on which). */
export function watchSchema(
  env: Env,
  d: Defaults,
  parts: { check: z.ZodType<Check>; prometheus: z.ZodType<PrometheusConfig> },
) {
  const prometheus = parts.prometheus.superRefine((p, ctx) => {
    if (!PROMETHEUS_QUERIES.some((q) => p[q]))
      custom(
        ctx,
        [],
        bi(
          `沒有任何查詢，等於沒有監控 — 至少填一個：${PROMETHEUS_QUERIES.join("、")}（或移除 prometheus）`,
          `names no query, so it would monitor nothing — set at least one of ${PROMETHEUS_QUERIES.join(", ")} (or remove prometheus)`,
        ),
      );
  });
  return strict({
    minutes: jsonInt(1, 240)
      .refine((m) => m >= MIN_WATCH_MINUTES, {
        error: bi(
          `部署後監控至少 ${MIN_WATCH_MINUTES} 分鐘（預設 PROD ${DEFAULT_WATCH_MINUTES.prod}、UAT ${DEFAULT_WATCH_MINUTES.uat}）— 請改成 ${MIN_WATCH_MINUTES} 以上或移除`,
          `the post-deploy watch lasts at least ${MIN_WATCH_MINUTES} minutes (default PROD ${DEFAULT_WATCH_MINUTES.prod}, UAT ${DEFAULT_WATCH_MINUTES.uat}) — set ${MIN_WATCH_MINUTES} or more, or remove it`,
        ),
      })
      .optional(),
    intervalSeconds: jsonInt(5, 3600).optional(),
    onFailure: z.enum(["auto", "ask"], { error: bi('應為 "auto" 或 "ask"', 'expected "auto" or "ask"') }).optional(),
    cpuSustainedRounds: jsonInt(1, 60).optional(),
    rollbackMinutes: jsonInt(1, 120).optional(),
    smoke: parts.check.optional(),
    prometheus: prometheus.optional(),
  })
    .optional()
    .transform((w) => {
      const fallback = defaultWatch(d, env);
      return {
        minutes: w?.minutes ?? fallback.minutes,
        intervalSeconds: w?.intervalSeconds ?? fallback.intervalSeconds,
        onFailure: w?.onFailure ?? fallback.onFailure,
        cpuSustainedRounds: w?.cpuSustainedRounds ?? fallback.cpuSustainedRounds,
        rollbackMinutes: w?.rollbackMinutes ?? fallback.rollbackMinutes,
        smoke: w?.smoke ?? null,
        prometheus: w?.prometheus ?? null,
      };
    });
}
