import type { Check, Config, SystemConfig } from "../config.js";
import type { Actor, Env } from "../core/model.js";
import { breaches, sustainCpu } from "../core/watch-rules.js";
import { localParts } from "../core/windows.js";
import { describeBreach, incidents } from "../i18n/index.js";
import { CLAIM_KINDS, type ClaimKind, claim } from "./claims.js";
import type { Queryable } from "./db.js";
import type { DeployDeps, DeploymentRow } from "./deploy-release.js";
import { userNames } from "./members.js";
import { getOncall } from "./oncall.js";
import type { Calendar, Metrics } from "./ports.js";
import { adminIds, systemRegistry } from "./systems.js";

const W = incidents.watch;

export { allocateVersion } from "./versions.js";
export type { DeploymentRow };

/** The engine's deploy ports plus monitoring (the watch) and the calendar (freezes). */
export type IncidentDeps = DeployDeps & {
  metrics: Metrics;
  calendarFacts: Calendar;
  /** The post-deploy watch of a release (main.ts and the windows set it): hotfix deploys get it too. */
  afterDeploy?: (deployment: DeploymentRow) => Promise<void>;
  /** Waits between watch rounds (post-rollback watch); else `sleep`, else real time. */
  watchSleep?: (ms: number) => Promise<void>;
};

export type UserActor = Extract<Actor, { kind: "user" }>;

export function systemById(config: Pick<Config, "systems">, systemId: string): SystemConfig {
  return systemRegistry(config).get(systemId);
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
  /** Rounds in a row with CPU over its limit (counts only once `cpu.required` is reached). */
  cpuStreak: number;
}

/** One round of the environment's post-deploy checks: health URL, smoke command, Prometheus thresholds. */
export async function runEnvChecks(
  deps: Pick<IncidentDeps, "config" | "runCheck" | "metrics">,
  system: SystemConfig,
  env: Env,
  options: { baselineP95?: number | null; prometheus?: boolean; cpu?: { streak: number; required: number } } = {},
): Promise<EnvCheckResult> {
  const target = system.environments[env];
  const check = deps.runCheck;
  const result: EnvCheckResult = { failures: [], warnings: [], cpuStreak: 0 };
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
      const found = breaches(await deps.metrics.read(prometheus), baseline);
      const cpu = options.cpu ?? { streak: 0, required: target.watch.cpuSustainedRounds ?? 1 };
      const sustained = sustainCpu(found, cpu.streak, cpu.required);
      result.cpuStreak = sustained.streak;
      for (const b of sustained.breaches) {
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

/** issue 12: who an escalation mentions — the day's on-call, the system's admins, its DBAs (`roles.dba`). */
export interface Escalation {
  oncall: { id: number; name: string } | null;
  admins: { id: number; name: string }[];
  dbas: { id: number; name: string }[];
}

export async function escalationTargets(
  q: Queryable,
  config: Pick<Config, "adminIds">,
  system: SystemConfig,
  now: Date,
): Promise<Escalation> {
  const day = localParts(now, system.timezone).date;
  const duty = await getOncall(q, system.id, day);
  const adminList = await adminIds(q, [...config.adminIds, ...(system.adminIds ?? [])]);
  const dbaList = system.roles?.dba ?? [];
  const names = await userNames(q, [...adminList, ...dbaList]);
  const person = (id: number) => ({ id, name: names.get(id) ?? String(id) });
  return {
    oncall: duty ? { id: duty.userId, name: duty.name } : null,
    admins: adminList.map(person),
    dbas: dbaList.map(person),
  };
}
