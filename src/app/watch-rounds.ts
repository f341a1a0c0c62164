// issue 12: the rounds of a watch (round 0 at once, then one per interval; one message edited from
// start to summary) and the post-rollback watch. Shared by the post-deploy watch (./watch.ts) and the
// rollback (./rollback.ts), which is why it imports neither.
import { setTimeout as delay } from "node:timers/promises";
import type { SystemConfig } from "../config.js";
import type { Env } from "../core/model.js";
import { incidentRecords, incidents } from "../i18n/index.js";
import { type EnvCheckResult, escalationTargets, type IncidentDeps, runEnvChecks } from "./incident-support.js";
import { recordRollbackWatch } from "./incidents.js";
import { enqueue, type NoticeButtons, notice, noticeEdit, type OutboxDraft } from "./outbox.js";

type EditExtra = { buttons?: NoticeButtons; urgent?: boolean; mirror?: boolean };

const W = incidents.watch;
const IR = incidentRecords;

export interface WatchOptions {
  /** Waits between rounds; tests pass one that returns at once (and may move a fake clock). */
  sleep?: (ms: number) => Promise<void>;
}

export const sleeper = (deps: IncidentDeps, options: WatchOptions) =>
  options.sleep ?? deps.watchSleep ?? deps.sleep ?? ((ms: number) => delay(ms));

/** Nothing to check in this environment: no health URL, no smoke test, no Prometheus queries. */
export const unmonitored = (system: SystemConfig, env: Env): boolean =>
  !system.environments[env].health &&
  !system.environments[env].watch.smoke &&
  !system.environments[env].watch.prometheus;

export interface Rounds {
  /** Round 0 at once, then one per interval up to `minutes`. */
  minutes: number;
  baselineP95: number | null;
  progress: (elapsed: number, total: number, status: string) => string;
}

export interface RoundsResult {
  /** Rounds run, round 0 included. */
  rounds: number;
  /** Minutes elapsed at the last round. */
  elapsed: number;
  failures: string[];
  warnings: string[];
  /** Edits the one watch message (or posts, if it was never written). */
  edit: (text: string, extra?: EditExtra) => Promise<void>;
  /** The same edit as a draft, for a caller that writes it with its own state change. */
  draft: (text: string, extra?: EditExtra) => OutboxDraft;
}

/** Runs rounds until one fails or the time is up; the one message shows each round. */
export async function watchRounds(
  deps: IncidentDeps,
  system: SystemConfig,
  env: Env,
  input: Rounds,
  sleep: (ms: number) => Promise<void>,
): Promise<RoundsResult> {
  const watch = system.environments[env].watch;
  const chat = system.groupChatId;
  const [progressId] = await enqueue(
    deps.db,
    [notice(chat, input.progress(0, input.minutes, W.starting))],
    deps.clock(),
  );
  const draft: RoundsResult["draft"] = (text, extra = {}) =>
    progressId ? noticeEdit(chat, progressId, text, extra) : notice(chat, text, extra);
  const edit: RoundsResult["edit"] = async (text, extra = {}) => {
    await enqueue(deps.db, [draft(text, extra)], deps.clock());
  };
  const last = Math.max(1, Math.round((input.minutes * 60) / watch.intervalSeconds));
  const warned = new Map<string, string>();
  let cpuStreak = 0;
  for (let round = 0; round <= last; round++) {
    if (round > 0) await sleep(watch.intervalSeconds * 1000);
    const result: EnvCheckResult = await runEnvChecks(deps, system, env, {
      baselineP95: input.baselineP95,
      cpu: { streak: cpuStreak, required: watch.cpuSustainedRounds },
    });
    cpuStreak = result.cpuStreak;
    for (const w of result.warnings) if (!warned.has(w.key)) warned.set(w.key, w.text);
    const elapsed = Number(((round * watch.intervalSeconds) / 60).toFixed(1));
    const done = { rounds: round + 1, elapsed, warnings: [...warned.values()], edit, draft };
    if (result.failures.length) return { ...done, failures: result.failures };
    // The last round's result goes straight into the summary (one edit fewer).
    if (round < last) {
      const status = result.warnings.length ? `⚠️ ${result.warnings.map((w) => w.text).join("、")}` : W.allOk;
      await edit(input.progress(elapsed, input.minutes, status));
    }
  }
  return { rounds: last + 1, elapsed: input.minutes, failures: [], warnings: [...warned.values()], edit, draft };
}

export type RollbackWatchOutcome = "stable" | "unstable" | "unmonitored";

/**
 * issue 12: the watch after a rollback — `rollbackMinutes` (default 10) of the same checks, round 0 at
 * once, one message edited; no rollback of its own. Stable: the incident records it with 「排程正式修正」
 * and a button to file the follow-up bug. Unstable (the first failing round): escalate at once,
 * mentioning the on-call and the admins.
 */
export async function runRollbackWatch(
  deps: IncidentDeps,
  input: { system: SystemConfig; env: Env; version: string; incidentId: number },
  options: WatchOptions = {},
): Promise<RollbackWatchOutcome> {
  const { system, env, version, incidentId } = input;
  const chat = system.groupChatId;
  const minutes = system.environments[env].watch.rollbackMinutes ?? 10;
  const followUp: NoticeButtons = [
    [{ label: IR.rollbackWatch.followUpButton, action: "incidentFollowUp", id: incidentId, version: 0 }],
  ];
  if (unmonitored(system, env)) {
    await recordRollbackWatch(deps, incidentId, "unmonitored", null, [
      notice(chat, IR.rollbackWatch.unmonitored(incidentId, env, version), { urgent: true, buttons: followUp }),
    ]);
    return "unmonitored";
  }
  await recordRollbackWatch(deps, incidentId, "watching", null);
  const result = await watchRounds(
    deps,
    system,
    env,
    {
      minutes,
      baselineP95: null,
      progress: (elapsed, total, status) => IR.rollbackWatch.progress(env, version, elapsed, total, status),
    },
    sleeper(deps, options),
  );
  if (result.failures.length) {
    const who = await escalationTargets(deps.db, deps.config, system, deps.clock());
    const text = IR.rollbackWatch.unstable({
      incidentId,
      env,
      version,
      problems: result.failures,
      oncall: who.oncall,
      admins: who.admins,
    });
    await recordRollbackWatch(deps, incidentId, "unstable", result.failures.join(";"), [
      result.draft(IR.rollbackWatch.progress(env, version, result.elapsed, minutes, W.failedStatus)),
      notice(chat, text, { urgent: true }),
    ]);
    return "unstable";
  }
  await recordRollbackWatch(deps, incidentId, "stable", result.warnings.join(";") || null, [
    result.draft(IR.rollbackWatch.stable({ incidentId, env, version, minutes, rounds: result.rounds }), {
      buttons: followUp,
      mirror: true,
    }),
  ]);
  return "stable";
}
