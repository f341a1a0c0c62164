// Post-deploy watch: health, smoke and Prometheus run at once (round 0), then every interval for the
// environment's watch minutes (PROD 30, UAT 10 by default); ONE message is posted and edited from
// start to summary (one watch message per release in the group). A failed smoke/health or a
// functional breach rolls back (policy auto|ask, at most autoRollbackLimit automatic rollbacks in a
// row); CPU counts only when sustained. A watch with nothing to check says 「未監控」 loudly.
// The post-rollback watch (runRollbackWatch) is the same rounds after a rollback: stable → the
// incident is recorded with 「排程正式修正」 and a follow-up bug button; unstable → escalation.
import type { SystemConfig } from "../config.js";
import { incidentRecords, incidents } from "../i18n/index.js";
import { claim } from "./claims.js";
import { type DeploymentRow, type IncidentDeps, systemById } from "./incident-support.js";
import { enqueue, type NoticeButtons, notice } from "./outbox.js";
import type { Metrics } from "./ports.js";
import { consecutiveAutoRollbacks, executeRollback, planRollback } from "./rollback.js";
import { sleeper, unmonitored, type WatchOptions, watchRounds } from "./watch-rounds.js";

export { runRollbackWatch, type WatchOptions } from "./watch-rounds.js";

const W = incidents.watch;
const IR = incidentRecords;

/** The incident ports plus the Metrics port the watch reads its baseline from. */
export type WatchDeps = IncidentDeps & { metrics: Metrics };

export interface WatchResult {
  outcome: "stood" | "warned" | "rolled_back" | "asked" | "alerted" | "unmonitored";
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
  const sleep = sleeper(deps, options);
  const system = systemById(deps.config, deployment.systemId);
  const { env, version } = deployment;
  const watch = system.environments[env].watch;
  // Once per deployment, whoever calls (two replicas, a retried afterDeploy).
  if (!(await claim(deps.db, "watch", deployment.id, { startedAt: deps.clock() }, deps.clock())))
    return { outcome: "stood", rounds: 0, failures: [], warnings: [] };

  if (unmonitored(system, env)) {
    await enqueue(deps.db, [notice(system.groupChatId, IR.unmonitored(env, version), { urgent: true })], deps.clock());
    return { outcome: "unmonitored", rounds: 0, failures: [], warnings: [] };
  }
  const baselineP95 = watch.prometheus
    ? await deps.metrics
        .baselineP95(watch.prometheus, new Date(deployment.startedAt.getTime() - 1000))
        .catch(() => null)
    : null;
  const result = await watchRounds(
    deps,
    system,
    env,
    {
      minutes: watch.minutes,
      baselineP95,
      progress: (elapsed, total, status) => W.progress(env, version, elapsed, total, status),
    },
    sleep,
  );
  if (result.failures.length) {
    await result.edit(IR.summaryFailed(env, version, result.elapsed, watch.minutes), { mirror: true });
    const outcome = await onFailure(deps, system, deployment, result.failures);
    return { outcome, rounds: result.rounds, failures: result.failures, warnings: result.warnings };
  }
  await result.edit(
    result.warnings.length
      ? W.summaryWarn(env, version, watch.minutes, result.warnings)
      : W.summaryOk(env, version, watch.minutes, result.rounds),
    { mirror: true }, // the watch's summary: a notification of its own (Slack mirror)
  );
  return {
    outcome: result.warnings.length ? "warned" : "stood",
    rounds: result.rounds,
    failures: [],
    warnings: result.warnings,
  };
}

/** The engine's `afterDeploy` hook: the window waits for its watch (the watch is the window's last step). */
export const watchAfterDeploy =
  (deps: WatchDeps, options: WatchOptions = {}) =>
  async (deployment: DeploymentRow): Promise<void> => {
    await runWatch(deps, deployment, options);
  };

const watching = new Set<Promise<unknown>>();

/**
 * issue 12: every PROD deploy gets the watch — a hotfix too. Starts it without holding the caller
 * (the hotfix reply should not wait 30 minutes); `settleWatches` awaits the ones in flight.
 */
export function watchInBackground(deps: WatchDeps, deployment: DeploymentRow): void {
  const run = deps.afterDeploy ?? ((d: DeploymentRow) => runWatch(deps, d).then(() => undefined));
  const task = run(deployment)
    .catch((err: unknown) => deps.logger.error({ err, deploymentId: deployment.id }, "post-deploy watch failed"))
    .finally(() => watching.delete(task));
  watching.add(task);
}

/** Waits for the watches started by watchInBackground (tests, graceful stop). */
export const settleWatches = () => Promise.allSettled([...watching]);

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
    // A failed smoke test or health check is a functional regression.
    kind: "functional",
  });
  return outcome.kind === "rolled_back" ? "rolled_back" : "alerted";
}
