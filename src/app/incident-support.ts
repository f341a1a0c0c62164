// Shared by hotfix, rollback, freeze and watch: the ports they need and small lookups.
import { and, eq, like } from "drizzle-orm";
import { deployments } from "../../drizzle/schema.js";
import { readMetrics } from "../adapters/checks/prometheus.js";
import { runCheck } from "../adapters/checks/run-check.js";
import type { Queryable } from "../adapters/db/database.js";
import type { Check, Config, SystemConfig } from "../config.js";
import type { Actor, Env } from "../core/model.js";
import { nextVersion } from "../core/release.js";
import { breaches } from "../core/watch-rules.js";
import { localParts } from "../core/windows.js";
import { incidents } from "../i18n/incidents.js";
import { describeBreach } from "../i18n/metrics.js";
import { CLAIM_KINDS, type ClaimKind, claim } from "./claims.js";
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

/** `kind:subject` (the old kv key form) → a claim of claims.ts; kept for callers not yet moved. */
function claimOf(key: string): [ClaimKind, string] {
  const at = key.indexOf(":");
  const kind = key.slice(0, at) as ClaimKind;
  if (at < 0 || !CLAIM_KINDS.includes(kind)) throw new Error(`not a claim key: ${key}`);
  return [kind, key.slice(at + 1)];
}

/** Takes a claim once; true for the caller that created it (see claims.ts). */
export const claimKey = (q: Queryable, key: string, value: Record<string, unknown>, now: Date): Promise<boolean> =>
  claim(q, ...claimOf(key), value, now);

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
