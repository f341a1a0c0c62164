// Telegram updates handled once: each update_id is claimed in processed_updates before it is
// handled, and the table is pruned (Telegram redelivers an update for at most a day).
import { desc, lt, lte, sql } from "drizzle-orm";
import { processedUpdates } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { prepared } from "./hot-path.js";

/** True for the first claim of `updateId`; false for a redelivery. */
export async function claimUpdate(q: Queryable, updateId: number, now: Date): Promise<boolean> {
  const claimed = await prepared(q, "claim_update", (d) =>
    d
      .insert(processedUpdates)
      .values({ updateId: sql.placeholder("id"), processedAt: sql.placeholder("at") })
      .onConflictDoNothing()
      .returning({ id: processedUpdates.updateId }),
  ).execute({ id: updateId, at: now });
  return claimed.length > 0;
}

/** Claims older than `keep.ms` and any beyond the newest `keep.rows` are deleted. */
export async function pruneUpdates(q: Queryable, now: Date, keep: { ms: number; rows: number }): Promise<void> {
  await q.delete(processedUpdates).where(lt(processedUpdates.processedAt, new Date(now.getTime() - keep.ms)));
  const [edge] = await q
    .select({ id: processedUpdates.updateId })
    .from(processedUpdates)
    .orderBy(desc(processedUpdates.updateId))
    .offset(keep.rows)
    .limit(1);
  if (edge) await q.delete(processedUpdates).where(lte(processedUpdates.updateId, edge.id));
}
