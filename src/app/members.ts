// Who belongs to which system: a user seen in a system's group chat is a member of that system.
import { eq } from "drizzle-orm";
import { systemMembers } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";

/** Records that `userId` was seen in `systemId`'s group (idempotent). */
export async function recordMember(q: Queryable, systemId: string, userId: number, now: Date): Promise<void> {
  await q
    .insert(systemMembers)
    .values({ systemId, userId, seenAt: now })
    .onConflictDoUpdate({ target: [systemMembers.systemId, systemMembers.userId], set: { seenAt: now } });
}

/** The systems whose group `userId` has been seen in. */
export async function memberSystemIds(q: Queryable, userId: number): Promise<string[]> {
  const rows = await q
    .select({ systemId: systemMembers.systemId })
    .from(systemMembers)
    .where(eq(systemMembers.userId, userId));
  return rows.map((r) => r.systemId);
}
