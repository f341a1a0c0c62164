// Claims that survive restarts and replicas: the first insert of (kind, subject) wins, everyone
// else sees it taken. One post-deploy watch per release (`watch`), one rollback per release
// (`rollback-of`, the watch's `rollback-now`), one change at a time per environment (`env-lock`).
// A claim names the process that took it (`owner`, a liveness id) so recovery can release the
// claims of a dead process and keep a live one's.
import { and, eq, inArray, sql } from "drizzle-orm";
import { claims } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";

export const CLAIM_KINDS = ["watch", "rollback-of", "rollback-now", "env-lock"] as const;
export type ClaimKind = (typeof CLAIM_KINDS)[number];
export type ClaimRow = Omit<typeof claims.$inferSelect, "kind"> & { kind: ClaimKind };
type Value = Record<string, unknown>;

/** Takes (kind, subject) once; true for the caller that created it. */
export async function claim(
  q: Queryable,
  kind: ClaimKind,
  subject: string | number,
  value: Value,
  now: Date,
  owner: string | null = null,
): Promise<boolean> {
  const rows = await q
    .insert(claims)
    .values({ kind, subject: String(subject), value, owner, createdAt: now })
    .onConflictDoNothing()
    .returning({ kind: claims.kind });
  return rows.length === 1;
}

/**
 * Releases a claim. With `ifValue`, only while its value still contains those fields (a lock's
 * token): a claim someone else took meanwhile is left alone. True when a claim was removed.
 */
export async function release(
  q: Queryable,
  kind: ClaimKind,
  subject: string | number,
  options: { ifValue?: Value } = {},
): Promise<boolean> {
  const rows = await q
    .delete(claims)
    .where(
      and(
        eq(claims.kind, kind),
        eq(claims.subject, String(subject)),
        options.ifValue ? sql`${claims.value} @> ${JSON.stringify(options.ifValue)}::jsonb` : undefined,
      ),
    )
    .returning({ kind: claims.kind });
  return rows.length > 0;
}

export async function readClaim(q: Queryable, kind: ClaimKind, subject: string | number): Promise<ClaimRow | null> {
  const [row] = await q
    .select()
    .from(claims)
    .where(and(eq(claims.kind, kind), eq(claims.subject, String(subject))));
  return (row as ClaimRow | undefined) ?? null;
}

/** Every claim of these kinds (recovery). */
export async function listClaims(q: Queryable, kinds: readonly ClaimKind[]): Promise<ClaimRow[]> {
  const rows = await q
    .select()
    .from(claims)
    .where(inArray(claims.kind, [...kinds]));
  return rows as ClaimRow[];
}

/**
 * Releases the claims of `kind` whose owner process is dead, each only if it is still the claim
 * that was read (same owner and value): one taken over meanwhile stays. Returns the released rows.
 */
export async function releaseDeadOwners(
  q: Queryable,
  kind: ClaimKind,
  isAlive: (owner: string | null) => Promise<boolean>,
): Promise<ClaimRow[]> {
  const released: ClaimRow[] = [];
  for (const row of await listClaims(q, [kind])) {
    if (await isAlive(row.owner)) continue;
    if (await releaseIfUnchanged(q, row)) released.push(row);
  }
  return released;
}

/** Deletes exactly this claim: same kind, subject, owner and value. */
export async function releaseIfUnchanged(q: Queryable, row: ClaimRow): Promise<boolean> {
  const rows = await q
    .delete(claims)
    .where(
      and(
        eq(claims.kind, row.kind),
        eq(claims.subject, row.subject),
        sql`${claims.owner} is not distinct from ${row.owner}`,
        sql`${claims.value} = ${JSON.stringify(row.value)}::jsonb`,
      ),
    )
    .returning({ kind: claims.kind });
  return rows.length > 0;
}
