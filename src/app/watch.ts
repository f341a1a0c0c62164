// Post-deploy watch: health, smoke and Prometheus at an interval for the environment's watch minutes,
// one progress message edited as it goes, a summary when it stands down. A failed smoke/health or a
// functional breach rolls back (policy auto|ask, at most autoRollbackLimit automatic rollbacks in a row).
import { setTimeout as delay } from "node:timers/promises";
import type { SystemConfig } from "../config.js";
import { incidents } from "../i18n/index.js";
import { claim } from "./claims.js";
import { type DeploymentRow, type IncidentDeps, runEnvChecks, systemById } from "./incident-support.js";
import { enqueue, type NoticeButtons, notice, noticeEdit } from "./outbox.js";
import type { Metrics } from "./ports.js";
import { consecutiveAutoRollbacks, executeRollback, planRollback } from "./rollback.js";

const W = incidents.watch;

/** The incident ports plus the Metrics port the watch reads its baseline from. */
export type WatchDeps = IncidentDeps & { metrics: Metrics };

export interface WatchOptions {
  /** Waits between rounds; tests pass one that returns at once (and may move a fake clock). */
  sleep?: (ms: number) => Promise<void>;
}

export interface WatchResult {
  outcome: "stood" | "warned" | "rolled_back" | "asked" | "alerted";
  rounds: number;
  failures: string[];
  warnings: string[];
}

/** Runs the watch to its end (awaitable: the engine's afterDeploy, tests). */
export async function runWatch(
  deps: WatchDeps,
  deployment: DeploymentRow,
  options: WatchOptions = {},
): Promise<WatchResult> {
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const system = systemById(deps.config, deployment.systemId);
  const { env, version } = deployment;
  const watch = system.environments[env].watch;
  // Once per deployment, whoever calls (two replicas, a retried afterDeploy).
  if (!(await claim(deps.db, "watch", deployment.id, { startedAt: deps.clock() }, deps.clock())))
    return { outcome: "stood", rounds: 0, failures: [], warnings: [] };

  const send = (text: string) => enqueue(deps.db, [notice(system.groupChatId, text)], deps.clock());
  if (!system.environments[env].health && !watch.smoke && !watch.prometheus) {
    await send(W.nothing(env, version));
    return { outcome: "stood", rounds: 0, failures: [], warnings: [] };
  }
  const baselineP95 = watch.prometheus
    ? await deps.metrics
        .baselineP95(watch.prometheus, new Date(deployment.startedAt.getTime() - 1000))
        .catch(() => null)
    : null;
  const [progressId] = await send(W.progress(env, version, 0, watch.minutes, W.starting));
  // The progress message is edited; if it was deduplicated away, each round is posted instead.
  const edit = (text: string) =>
    progressId ? noticeEdit(system.groupChatId, progressId, text) : notice(system.groupChatId, text);

  const rounds = Math.max(1, Math.round((watch.minutes * 60) / watch.intervalSeconds));
  const warned = new Map<string, string>();
  for (let round = 1; round <= rounds; round++) {
    await sleep(watch.intervalSeconds * 1000);
    const result = await runEnvChecks(deps, system, env, { baselineP95 });
    const elapsed = Number(((round * watch.intervalSeconds) / 60).toFixed(1));
    const fresh = result.warnings.filter((w) => !warned.has(w.key));
    for (const w of result.warnings) if (!warned.has(w.key)) warned.set(w.key, w.text);
    const status = result.failures.length
      ? W.failedStatus
      : result.warnings.length
        ? `⚠️ ${result.warnings.map((w) => w.text).join("、")}`
        : W.allOk;
    await enqueue(deps.db, [edit(W.progress(env, version, elapsed, watch.minutes, status))], deps.clock());
    if (fresh.length && !result.failures.length)
      await send(
        W.breach(
          env,
          version,
          fresh.map((w) => w.text),
        ),
      );
    if (result.failures.length) {
      const outcome = await onFailure(deps, system, deployment, result.failures);
      return { outcome, rounds: round, failures: result.failures, warnings: [...warned.values()] };
    }
  }
  const warnings = [...warned.values()];
  await send(
    warnings.length
      ? W.summaryWarn(env, version, watch.minutes, warnings)
      : W.summaryOk(env, version, watch.minutes, rounds),
  );
  return { outcome: warnings.length ? "warned" : "stood", rounds, failures: [], warnings };
}

/** The engine's `afterDeploy` hook: the window waits for its watch (the watch is the window's last step). */
export const watchAfterDeploy =
  (deps: WatchDeps, options: WatchOptions = {}) =>
  async (deployment: DeploymentRow): Promise<void> => {
    await runWatch(deps, deployment, options);
  };

async function onFailure(
  deps: IncidentDeps,
  system: SystemConfig,
  deployment: DeploymentRow,
  failures: string[],
): Promise<WatchResult["outcome"]> {
  const { env, version } = deployment;
  const failed = W.failed(env, version, failures);
  const rollbackButton: NoticeButtons = [
    [{ label: W.rollbackNow, action: "rollbackNow", id: deployment.id, version: 0 }],
  ];
  const alert = async (line: string, withButton: boolean) => {
    await enqueue(
      deps.db,
      [
        notice(system.groupChatId, `${failed}\n${line}`, {
          ...(withButton ? { buttons: rollbackButton } : {}),
          urgent: true,
        }),
      ],
      deps.clock(),
    );
  };
  // A rollback's own watch never rolls back again (that would redeploy the bad release).
  if (deployment.kind === "rollback") {
    await alert(W.afterRollback, false);
    return "alerted";
  }
  if (system.environments[env].watch.onFailure === "ask") {
    await alert(W.ask, true);
    return "asked";
  }
  const limit = deps.config.autoRollbackLimit;
  if ((await consecutiveAutoRollbacks(deps.db, system.id, env, deployment.id)) >= limit) {
    await alert(W.limitReached(limit), true);
    return "alerted";
  }
  const planned = await planRollback(deps.db, system, env, { undoId: deployment.id });
  if (!planned.ok) {
    await alert(W.noPrevious, false);
    return "alerted";
  }
  await alert(W.autoRollback, false);
  const outcome = await executeRollback(deps, {
    system,
    plan: planned.plan,
    actor: { kind: "system", name: "auto-rollback" },
    reason: failures.join(";"),
  });
  return outcome.kind === "rolled_back" ? "rolled_back" : "alerted";
}
