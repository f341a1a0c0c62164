// The secondary lifecycles as data, like the bug machine (machine.ts): deployments, window runs,
// hotfix requests and rollback plans. Each table says which statuses exist, which a new row starts
// in, and which moves are allowed; a status with no move out is terminal. The app applies a move
// with one conditional update (src/app/lifecycle.ts): a row that is no longer in an allowed
// "from" status is left alone, so two replicas (or two presses) move it once.
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from "./model.js";

export interface Lifecycle<S extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  /** Statuses a row may be inserted with. */
  readonly initial: readonly S[];
  /** Allowed moves, from → to. A status with no move out is terminal. */
  readonly moves: { readonly [K in S]: readonly S[] };
}

/** A release: `running` until its outcome is recorded; a release that stood may be rolled back. */
export const DEPLOYMENT_LIFECYCLE: Lifecycle<DeploymentStatus> = {
  name: "deployment",
  statuses: DEPLOYMENT_STATUSES,
  // Recorded directly: a manual hotfix (succeeded) or a missing deploy target (failed).
  initial: ["running", "succeeded", "failed"],
  moves: {
    running: ["succeeded", "failed", "timed_out", "interrupted"],
    succeeded: ["rolled_back"],
    failed: [],
    timed_out: [],
    interrupted: [],
    rolled_back: [],
  },
};

export const WINDOW_RUN_STATUSES = ["running", "done", "skipped", "failed", "missed"] as const;
export type WindowRunStatus = (typeof WINDOW_RUN_STATUSES)[number];

/** A claimed window: `running` until its outcome is recorded; `missed` is recorded as it is. */
export const WINDOW_RUN_LIFECYCLE: Lifecycle<WindowRunStatus> = {
  name: "window run",
  statuses: WINDOW_RUN_STATUSES,
  initial: ["running", "missed"],
  moves: {
    running: ["done", "skipped", "failed"],
    // Recovery marks a run failed when its process looks dead; if that process was alive after all
    // (a lapsed heartbeat), the outcome it records when it finishes replaces that guess.
    failed: ["done", "skipped", "failed"],
    done: [],
    skipped: [],
    missed: [],
  },
};

export const HOTFIX_REQUEST_STATUSES = ["pending", "approved", "expired", "done", "failed"] as const;
export type HotfixRequestStatus = (typeof HOTFIX_REQUEST_STATUSES)[number];

/** A /hotfix: approved at once, or pending a second admin during a freeze; then deployed or not. */
export const HOTFIX_REQUEST_LIFECYCLE: Lifecycle<HotfixRequestStatus> = {
  name: "hotfix request",
  statuses: HOTFIX_REQUEST_STATUSES,
  initial: ["pending", "approved"],
  moves: {
    pending: ["approved", "expired"],
    approved: ["done", "failed"],
    expired: [],
    done: [],
    failed: [],
  },
};

export const ROLLBACK_PLAN_STATUSES = ["pending", "confirmed", "cancelled", "done", "failed"] as const;
export type RollbackPlanStatus = (typeof ROLLBACK_PLAN_STATUSES)[number];

/** A /rollback preview waiting for its confirm button, then the rollback it ran. */
export const ROLLBACK_PLAN_LIFECYCLE: Lifecycle<RollbackPlanStatus> = {
  name: "rollback plan",
  statuses: ROLLBACK_PLAN_STATUSES,
  initial: ["pending"],
  moves: {
    pending: ["confirmed", "cancelled"],
    confirmed: ["done", "failed"],
    cancelled: [],
    done: [],
    failed: [],
  },
};

export const canMove = <S extends string>(lifecycle: Lifecycle<S>, from: S, to: S): boolean =>
  lifecycle.moves[from]?.includes(to) ?? false;

export const isFinal = <S extends string>(lifecycle: Lifecycle<S>, status: S): boolean =>
  (lifecycle.moves[status]?.length ?? 0) === 0;

/** The statuses a row may move to `to` from. */
export const movesInto = <S extends string>(lifecycle: Lifecycle<S>, to: S): S[] =>
  lifecycle.statuses.filter((from) => canMove(lifecycle, from, to));

/** Throws (a programming error) unless every from → to is in the table. */
export function assertMoves<S extends string>(lifecycle: Lifecycle<S>, from: readonly S[], to: S): void {
  if (from.length === 0) throw new Error(`${lifecycle.name}: a move needs at least one "from" status`);
  for (const f of from)
    if (!canMove(lifecycle, f, to)) throw new Error(`${lifecycle.name}: ${f} → ${to} is not an allowed move`);
}
