// issue 12: what kind of problem a rollback answers (the seed's severity branches) and how its
// post-rollback watch ended. Pure data.

/** minor: a UX glitch (monitor and fix on schedule instead); functional: a regression (roll back now);
 * data: a data-corruption risk (roll back, escalate to on-call, admins and DBAs, run the down-migration). */
export const PROBLEM_KINDS = ["minor", "functional", "data"] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

/** The post-rollback watch: running, stood (stable), still failing (unstable), or nothing to check. */
export const ROLLBACK_WATCH_RESULTS = ["watching", "stable", "unstable", "unmonitored"] as const;
export type RollbackWatchResult = (typeof ROLLBACK_WATCH_RESULTS)[number];
