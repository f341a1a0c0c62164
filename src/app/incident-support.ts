// Shared by hotfix, rollback, freeze and watch: the ports they need and small lookups.
import { eq } from "drizzle-orm";
import { kv } from "../../drizzle/schema.js";
import type { Check, Config, SystemConfig } from "../config.js";
import type { Actor, Env } from "../core/model.js";
import { breaches } from "../core/watch-rules.js";
import { incidents } from "../i18n/incidents.js";
import { describeBreach } from "../i18n/metrics.js";
import type { Queryable } from "./db.js";
import type { DeployDeps, DeploymentRow } from "./deploy-release.js";
import type { Calendar, Metrics } from "./ports.js";
import { systemRegistry } from "./systems.js";

const W = incidents.watch;

export { allocateVersion } from "./versions.js";
export type { DeploymentRow };

/** The engine's deploy ports plus monitoring (the watch) and the calendar (freezes). */
export type IncidentDeps = DeployDeps & { metrics: Metrics; calendarFacts: Calendar };

export type UserActor = Extract<Actor, { kind: "user" }>;

export function systemById(config: Pick<Config, "systems">, systemId: string): SystemConfig {
  return systemRegistry(config).get(systemId);
}

/** Inserts a kv key once; true for the caller that created it (a claim that survives restarts and replicas). */
export async function claimKey(q: Queryable, key: string, value: unknown, now: Date): Promise<boolean> {
  const rows = await q
    .insert(kv)
    .values({ key, value, updatedAt: now })
    .onConflictDoNothing()
    .returning({ key: kv.key });
  return rows.length === 1;
}

export async function releaseKey(q: Queryable, key: string): Promise<void> {
  await q.delete(kv).where(eq(kv.key, key));
}

export async function readKey<T>(q: Queryable, key: string): Promise<T | null> {
  const [row] = await q.select().from(kv).where(eq(kv.key, key));
  return (row?.value as T | undefined) ?? null;
}

export const actorName = (actor: Actor): string => (actor.kind === "user" ? actor.name : `system:${actor.name}`);

export interface EnvCheckResult {
  /** Smoke, health or a functional metric failed: grounds for a rollback. */
  failures: string[];
  /** Performance breaches and unreachable monitoring: reported only; `key` names the metric. */
  warnings: { key: string; text: string }[];
}

/** One round of the environment's post-deploy checks: health URL, smoke command, Prometheus thresholds. */
export async function runEnvChecks(
  deps: Pick<IncidentDeps, "config" | "runCheck" | "metrics">,
  system: SystemConfig,
  env: Env,
  options: { baselineP95?: number | null; prometheus?: boolean } = {},
): Promise<EnvCheckResult> {
  const target = system.environments[env];
  const check = deps.runCheck;
  const result: EnvCheckResult = { failures: [], warnings: [] };
  const labelled: [string, Check | null][] = [
    [W.health, target.health],
    [W.smoke, target.watch.smoke],
  ];
  for (const [label, c] of labelled) {
    if (!c) continue;
    const r = await check(c, { cwd: deps.config.configDir });
    if (!r.ok) result.failures.push(`${label}：${r.detail}`);
  }
  const prometheus = target.watch.prometheus;
  if (options.prometheus !== false && prometheus) {
    try {
      const baseline = options.baselineP95 ?? null;
      for (const b of breaches(await deps.metrics.read(prometheus), baseline)) {
        const text = describeBreach(b, baseline);
        if (b.functional) result.failures.push(text);
        else result.warnings.push({ key: b.metric, text });
      }
    } catch (error) {
      result.warnings.push({ key: "prometheus", text: `${W.prometheus}：${(error as Error).message}` });
    }
  }
  return result;
}
