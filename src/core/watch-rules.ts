// The post-deploy watch's rules (the spec's thresholds): which readings breach, and which breaches are
// functional (they roll back like a failed smoke test) rather than only reported. Pure.

export const METRICS = ["errorRate", "p95", "memory", "cpu", "loginSuccess"] as const;
export type Metric = (typeof METRICS)[number];

/** Functional breaches roll back (like a failed smoke test); the others are reported. */
export const FUNCTIONAL_METRICS: readonly Metric[] = ["errorRate", "loginSuccess"];

export interface Breach {
  metric: Metric;
  value: number;
  /** The limit it crossed, in the metric's own unit. */
  limit: number;
  functional: boolean;
}

export type Readings = Partial<Record<Metric, number>>;

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

/**
 * issue 12: a CPU breach counts only when sustained — `required` rounds in a row. Given this round's
 * breaches and the streak so far, returns the new streak and the breaches that count this round.
 */
export function sustainCpu(found: Breach[], streak: number, required: number): { breaches: Breach[]; streak: number } {
  const cpu = found.some((b) => b.metric === "cpu");
  const next = cpu ? streak + 1 : 0;
  return { streak: next, breaches: cpu && next < required ? found.filter((b) => b.metric !== "cpu") : found };
}
