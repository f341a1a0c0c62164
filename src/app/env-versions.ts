// Each environment's real version (issue 10): read through the ReadVersion port (the environment's
// `version` probe), or reported by a deploy, and recorded per system and environment with when it was
// read and when it was deployed (core/versions.ts orders them). A failed read is recorded as such:
// the environment's version is then unknown, never replaced by the bot's own release name.
import { eq, sql } from "drizzle-orm";
import { envVersions } from "../../drizzle/schema.js";
import type { Config, SystemConfig, VersionProbe } from "../config.js";
import { type FlowChoice, selectFlow } from "../core/flow.js";
import { ENVS, type Env, type Severity } from "../core/model.js";
import { boundedText, oneLine } from "../core/text.js";
import type { EnvVersion } from "../core/versions.js";
import type { Queryable } from "./db.js";
import type { ReadVersion, VersionRead } from "./ports.js";

export interface VersionDeps {
  db: Queryable;
  config: Pick<Config, "configDir">;
  clock: () => Date;
  /** The port; absent (some tests) = no reads, only what deploys reported. */
  readVersion?: ReadVersion | undefined;
}

/** One environment as recorded, and whether it has a probe to read it with. */
export interface RecordedVersion extends EnvVersion {
  /** The last version known, even when the last read failed (rollback targets, messages). */
  lastKnown: string | null;
  previousVersion: string | null;
  probe: boolean;
}

export type RecordedVersions = Record<Env, RecordedVersion>;

export const versionProbe = (system: SystemConfig, env: Env): VersionProbe | null =>
  system.environments[env].version ?? null;

const clean = (v: string, max = 200) => boundedText(oneLine(v), max);

/** What is recorded for the system's environments (unknown when nothing is). */
export async function recordedVersions(q: Queryable, system: SystemConfig): Promise<RecordedVersions> {
  const rows = await q.select().from(envVersions).where(eq(envVersions.systemId, system.id));
  const of = (env: Env): RecordedVersion => {
    const r = rows.find((x) => x.env === env);
    return {
      version: r && r.error === null ? r.version : null,
      since: r?.since ?? null,
      readAt: r?.readAt ?? null,
      error: r?.error ?? null,
      lastKnown: r?.version ?? null,
      previousVersion: r?.previousVersion ?? null,
      probe: versionProbe(system, env) !== null,
    };
  };
  return { uat: of("uat"), prod: of("prod") };
}

/** Records one read: a new version moves the old one to previous and starts its `since`. */
export async function recordRead(q: Queryable, systemId: string, env: Env, read: VersionRead): Promise<void> {
  if (!read.ok) {
    const error = clean(read.error, 300) || "?";
    await q
      .insert(envVersions)
      .values({ systemId, env, error, errorAt: read.readAt })
      .onConflictDoUpdate({ target: [envVersions.systemId, envVersions.env], set: { error, errorAt: read.readAt } });
    return;
  }
  const version = clean(read.version);
  // Typed parameters: Postgres cannot infer a bare `$n` here (PGlite can), and a Date is sent as ISO.
  const changed = sql`${envVersions.version} is distinct from ${version}::text`;
  await q
    .insert(envVersions)
    .values({ systemId, env, version, since: read.readAt, readAt: read.readAt })
    .onConflictDoUpdate({
      target: [envVersions.systemId, envVersions.env],
      set: {
        previousVersion: sql`case when ${changed} then ${envVersions.version} else ${envVersions.previousVersion} end`,
        since: sql`case when ${changed} or ${envVersions.since} is null then ${read.readAt.toISOString()}::timestamptz else ${envVersions.since} end`,
        version,
        readAt: read.readAt,
        error: null,
        errorAt: null,
      },
    });
}

/**
 * After a successful deploy: the version the target reported, else `read` (a fresh read), else unknown
 * (no probe: the bot's own release name is not the environment's real version). `since` = now.
 */
export async function recordDeployed(
  q: Queryable,
  systemId: string,
  env: Env,
  outcome: { reported: string | null; read: VersionRead | null; now: Date },
): Promise<void> {
  const { now } = outcome;
  const version = outcome.reported ? clean(outcome.reported) : outcome.read?.ok ? clean(outcome.read.version) : null;
  const error = version === null && outcome.read && !outcome.read.ok ? clean(outcome.read.error, 300) || "?" : null;
  const set = {
    previousVersion: sql`case when ${envVersions.error} is null then ${envVersions.version} else ${envVersions.previousVersion} end`,
    version,
    since: now,
    readAt: version === null ? null : now,
    error,
    errorAt: error === null ? null : now,
  };
  await q
    .insert(envVersions)
    .values({ systemId, env, version, since: now, readAt: set.readAt, error, errorAt: set.errorAt })
    .onConflictDoUpdate({ target: [envVersions.systemId, envVersions.env], set });
}

/** Reads one environment now (null: no probe or no port). */
export async function readEnvVersion(deps: VersionDeps, system: SystemConfig, env: Env): Promise<VersionRead | null> {
  const probe = versionProbe(system, env);
  if (!probe || !deps.readVersion) return null;
  try {
    return await deps.readVersion(probe, { cwd: deps.config.configDir, now: deps.clock, env });
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), readAt: deps.clock() };
  }
}

/**
 * Reads the environments that have a probe (both at once), records what they said, and returns what
 * is recorded now. Used at triage, before every window phase, before a rollback and for /status.
 */
export async function refreshVersions(
  deps: VersionDeps,
  system: SystemConfig,
  envs: readonly Env[] = ENVS,
): Promise<RecordedVersions> {
  const reads = await Promise.all(envs.map(async (env) => [env, await readEnvVersion(deps, system, env)] as const));
  for (const [env, read] of reads) if (read) await recordRead(deps.db, system.id, env, read);
  return recordedVersions(deps.db, system);
}

/** The flow the versions suggest for a bug of this severity found in `foundIn` (freezes do not change it). */
export const flowFor = (v: RecordedVersions, severity: Severity, foundIn: Env | null): FlowChoice =>
  selectFlow({ uat: v.uat, prod: v.prod }, severity, null, foundIn);

/** The failed reads, as (env, error) pairs: shown as such wherever the versions are. */
export const readFailures = (v: RecordedVersions): { env: Env; error: string }[] =>
  ENVS.flatMap((env) => (v[env].error !== null ? [{ env, error: v[env].error! }] : []));
