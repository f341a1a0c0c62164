// Shared by hotfix, rollback, freeze and watch: the ports they need and small lookups.
import { and, eq, like } from "drizzle-orm";
import { deployments, kv } from "../../drizzle/schema.js";
import { readMetrics } from "../adapters/checks/prometheus.js";
import { runCheck } from "../adapters/checks/run-check.js";
import type { Queryable } from "../adapters/db/database.js";
import type { Check, Config, SystemConfig } from "../config.js";
import type { Actor, Env } from "../core/model.js";
import { nextVersion } from "../core/release.js";
import { breaches } from "../core/watch-rules.js";
import { localParts } from "../core/windows.js";
import { describeBreach, incidents } from "../i18n/index.js";
import type { DeployDeps, DeploymentRow } from "./deploy-release.js";

const W = incidents.watch;

export type { DeploymentRow };
/** The engine's deploy ports (db, config, clock, logger, runTarget?, runCheck?). */
export type IncidentDeps = DeployDeps;

export type UserActor = Extract<Actor, { kind: "user" }>;

export function systemById(config: Pick<Config, "systems">, systemId: string): SystemConfig {
  const system = config.systems.find((s) => s.id === systemId);
  if (!system) throw new Error(`unknown system ${systemId}`);
  return system;
}

/** The next release name of the system's local date (`2026.11.21-3`). */
export async function allocateVersion(q: Queryable, system: SystemConfig, now: Date): Promise<string> {
  const date = localParts(now, system.timezone).date;
  const rows = await q
    .select({ version: deployments.version })
    .from(deployments)
    .where(and(eq(deployments.systemId, system.id), like(deployments.version, `${date.replaceAll("-", ".")}-%`)));
  return nextVersion(
    date,
    rows.map((r) => r.version),
  );
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
  deps: Pick<IncidentDeps, "config" | "runCheck">,
  system: SystemConfig,
  env: Env,
  options: { baselineP95?: number | null; prometheus?: boolean } = {},
): Promise<EnvCheckResult> {
  const target = system.environments[env];
  const check = deps.runCheck ?? runCheck;
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
      for (const b of breaches(await readMetrics(prometheus), baseline)) {
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
