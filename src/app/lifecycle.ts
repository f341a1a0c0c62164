// Applies a move of a secondary lifecycle (src/core/lifecycles.ts) with ONE conditional update:
// UPDATE … SET status = to WHERE id AND status IN (from) RETURNING. Zero rows back means the row
// was not in a "from" status any more — someone else (a replica, a second press, recovery) moved
// it first, and the caller treats it as handled. A move that is not in the table throws.
import { and, eq, inArray, type SQL } from "drizzle-orm";
import { deployments, hotfixRequests, rollbackPlans, windowRuns } from "../../drizzle/schema.js";
import {
  assertMoves,
  DEPLOYMENT_LIFECYCLE,
  HOTFIX_REQUEST_LIFECYCLE,
  type Lifecycle,
  ROLLBACK_PLAN_LIFECYCLE,
  WINDOW_RUN_LIFECYCLE,
} from "../core/lifecycles.js";
import type { Queryable } from "./db.js";

const TABLES = {
  deployments: { table: deployments, lifecycle: DEPLOYMENT_LIFECYCLE },
  window_runs: { table: windowRuns, lifecycle: WINDOW_RUN_LIFECYCLE },
  hotfix_requests: { table: hotfixRequests, lifecycle: HOTFIX_REQUEST_LIFECYCLE },
  rollback_plans: { table: rollbackPlans, lifecycle: ROLLBACK_PLAN_LIFECYCLE },
} as const;

export type LifecycleTable = keyof typeof TABLES;
type Entry<K extends LifecycleTable> = (typeof TABLES)[K];
export type StatusOf<K extends LifecycleTable> = Entry<K>["lifecycle"] extends Lifecycle<infer S> ? S : never;
export type RowOf<K extends LifecycleTable> = Entry<K>["table"]["$inferSelect"];
export type PatchOf<K extends LifecycleTable> = Omit<Partial<Entry<K>["table"]["$inferInsert"]>, "id" | "status">;

/**
 * Moves the row `id` (or the rows `id[]`; `null` = every row `where` matches) from one of `from`
 * to `to`, setting `patch` with it, in one statement. `where` adds conditions (a deadline, who may
 * approve). Returns the rows moved: empty when someone else won.
 */
export async function advance<K extends LifecycleTable>(
  q: Queryable,
  kind: K,
  id: number | readonly number[] | null,
  from: readonly StatusOf<K>[],
  to: StatusOf<K>,
  patch: PatchOf<K> = {} as PatchOf<K>,
  where?: SQL,
): Promise<RowOf<K>[]> {
  const { lifecycle } = TABLES[kind];
  assertMoves(lifecycle as Lifecycle<string>, from, to);
  if (Array.isArray(id) && id.length === 0) return [];
  if (id === null && !where) throw new Error(`${lifecycle.name}: a move of every row needs a condition`);
  // Every lifecycle table has a numeric `id` and a text `status`: one query serves them all.
  const table = TABLES[kind].table as unknown as typeof hotfixRequests;
  const byId = id === null ? undefined : typeof id === "number" ? eq(table.id, id) : inArray(table.id, [...id]);
  const rows = await q
    .update(table)
    .set({ ...patch, status: to } as never)
    .where(and(byId, inArray(table.status, from as never[]), where))
    .returning();
  return rows as unknown as RowOf<K>[];
}
