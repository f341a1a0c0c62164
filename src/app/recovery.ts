// Recovery: a deployment still `running` whose owner process is gone died mid-deploy. It becomes
// `interrupted` and the group is alerted once; nothing is re-run automatically. Rows owned by a
// live replica are left alone, so any replica may run this at start-up and periodically. Outbox
// rows a dead process had claimed (maybe mid-send) are released at once instead of after the lease.
// Environment locks and rollback claims held by a dead process are released, so a change of that
// environment, or a `/rollback` of that release, can run again.
import { and, eq, gt, inArray, isNotNull, isNull } from "drizzle-orm";
import { bugs, deployments, outbox, windowRuns } from "../../drizzle/schema.js";
import type { Config } from "../config.js";
import { formatDateTime } from "../core/windows.js";
import { deploymentInterrupted, reliability } from "../i18n/index.js";
import { listClaims, release as releaseClaim } from "./claims.js";
import type { Db } from "./db.js";
import { type DeploymentRow, releaseDeadEnvLocks } from "./deploy-release.js";
import { advance } from "./lifecycle.js";
import { messages } from "./messages.js";
import { enqueue } from "./outbox.js";
import type { Liveness } from "./ports.js";
import { systemRegistry } from "./systems.js";

async function deadOwned<T extends { id: number; owner: string | null }>(
  rows: T[],
  liveness: Pick<Liveness, "isAlive"> | undefined,
): Promise<number[]> {
  const dead: number[] = [];
  for (const row of rows) if (!(await liveness?.isAlive(row.owner))) dead.push(row.id);
  return dead;
}

export async function recoverInterrupted(deps: {
  db: Db;
  config: Pick<Config, "systems">;
  clock: () => Date;
  liveness?: Pick<Liveness, "isAlive">;
}): Promise<DeploymentRow[]> {
  const now = deps.clock();
  const running = eq(deployments.status, "running");
  const deadDeployments = await deadOwned(
    await deps.db.select({ id: deployments.id, owner: deployments.owner }).from(deployments).where(running),
    deps.liveness,
  );
  const deadWindows = await deadOwned(
    await deps.db
      .select({ id: windowRuns.id, owner: windowRuns.owner })
      .from(windowRuns)
      .where(eq(windowRuns.status, "running")),
    deps.liveness,
  );
  const stuck =
    deadDeployments.length === 0 && deadWindows.length === 0
      ? []
      : await markInterrupted(deps, deadDeployments, deadWindows, now);
  await releaseDeadEnvLocks(deps);
  await releaseStaleRollbackClaims(deps);
  return stuck;
}

async function markInterrupted(
  deps: { db: Db; config: Pick<Config, "systems"> },
  deadDeployments: number[],
  deadWindows: number[],
  now: Date,
): Promise<DeploymentRow[]> {
  return deps.db.transaction(async (tx) => {
    const stuck = await advance(tx, "deployments", deadDeployments, ["running"], "interrupted", { finishedAt: now });
    await advance(tx, "window_runs", deadWindows, ["running"], "failed", {
      summary: reliability.interruptedByRestart,
      finishedAt: now,
    });
    for (const d of stuck) {
      const system = systemRegistry(deps.config).find(d.systemId);
      if (!system) continue;
      const bugRows = d.bugIds.length ? await tx.select().from(bugs).where(inArray(bugs.id, d.bugIds)) : [];
      const text = deploymentInterrupted({
        env: d.env,
        version: d.version,
        bugs: bugRows.sort((a, b) => a.id - b.id),
        startedAt: formatDateTime(d.startedAt, system.timezone),
      });
      await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `interrupted:${d.id}`, urgent: true }), now);
    }
    return stuck;
  });
}

/**
 * A rollback claim (`rollback-of:<release>`, the watch's `rollback-now:<release>`) whose rollback
 * is not running and did not succeed — its process died before or during the run, or the run ended
 * interrupted — is released, so the next `/rollback` of that release runs. A claim whose owner is
 * alive (its rollback may be about to start) is kept. Returns the released keys.
 */
export async function releaseStaleRollbackClaims(deps: {
  db: Db;
  liveness?: Pick<Liveness, "isAlive">;
}): Promise<string[]> {
  const claims = (await listClaims(deps.db, ["rollback-of", "rollback-now"])).map((c) => ({
    ...c,
    key: `${c.kind}:${c.subject}`,
  }));
  if (claims.length === 0) return [];
  const released: string[] = [];
  // `rollback-of:` before `rollback-now:` (a watch's claim waits for the release's own claim).
  for (const claim of claims.sort((a, b) => (a.key < b.key ? 1 : -1))) {
    const releaseId = Number(claim.subject);
    if (!Number.isSafeInteger(releaseId)) continue;
    const rollbacks = await deps.db
      .select({ status: deployments.status, owner: deployments.owner })
      .from(deployments)
      .where(and(eq(deployments.kind, "rollback"), eq(deployments.rollsBackId, releaseId)));
    if (rollbacks.some((r) => r.status === "running" || r.status === "succeeded")) continue;
    const [undone] = await deps.db
      .select({ status: deployments.status })
      .from(deployments)
      .where(eq(deployments.id, releaseId));
    if (undone && undone.status !== "succeeded") continue; // already rolled back (or never stood)
    const ended = rollbacks.some((r) => r.status === "interrupted");
    if (claim.key.startsWith("rollback-of:")) {
      if (!ended && (await deps.liveness?.isAlive(claim.owner))) continue;
    } else if (claims.some((c) => c.key === `rollback-of:${releaseId}` && !released.includes(c.key))) continue;
    await releaseClaim(deps.db, claim.kind, claim.subject);
    released.push(claim.key);
  }
  return released;
}

/** Makes unsent outbox rows claimed by a dead process due now; returns how many. At most one of them was in flight. */
export async function releaseDeadClaims(deps: {
  db: Db;
  clock: () => Date;
  liveness?: Pick<Liveness, "isAlive">;
}): Promise<number> {
  const now = deps.clock();
  const leased = and(isNull(outbox.sentAt), isNotNull(outbox.claimedBy), gt(outbox.nextAttemptAt, now));
  const claimers = await deps.db.selectDistinct({ owner: outbox.claimedBy }).from(outbox).where(leased);
  const dead: string[] = [];
  for (const { owner } of claimers) if (owner && !(await deps.liveness?.isAlive(owner))) dead.push(owner);
  if (dead.length === 0) return 0;
  const released = await deps.db
    .update(outbox)
    .set({ nextAttemptAt: now, claimedBy: null })
    .where(and(leased, inArray(outbox.claimedBy, dead)))
    .returning({ id: outbox.id });
  return released.length;
}
