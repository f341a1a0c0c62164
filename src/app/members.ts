// Who the bot knows: users seen in a configured group (name, username), and which system's group
// each was seen in (a member of that system).
import { eq, inArray, sql } from "drizzle-orm";
import { systemMembers, users } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { prepared } from "./hot-path.js";

/** Records that `userId` was seen in `systemId`'s group (idempotent). */
export async function recordMember(q: Queryable, systemId: string, userId: number, now: Date): Promise<void> {
  await prepared(q, "record_member", (d) =>
    d
      .insert(systemMembers)
      .values({ systemId: sql.placeholder("system"), userId: sql.placeholder("user"), seenAt: sql.placeholder("at") })
      .onConflictDoUpdate({
        target: [systemMembers.systemId, systemMembers.userId],
        set: { seenAt: sql`excluded.seen_at` },
      }),
  ).execute({ system: systemId, user: userId, at: now });
}

/** The systems whose group `userId` has been seen in. */
export async function memberSystemIds(q: Queryable, userId: number): Promise<string[]> {
  const rows = await q
    .select({ systemId: systemMembers.systemId })
    .from(systemMembers)
    .where(eq(systemMembers.userId, userId));
  return rows.map((r) => r.systemId);
}

export interface KnownUser {
  userId: number;
  name: string;
  username: string | null;
}

/** Writes a user's current name and username. */
export async function rememberUser(q: Queryable, user: KnownUser, now: Date): Promise<void> {
  await prepared(q, "remember_user", (d) =>
    d
      .insert(users)
      .values({
        userId: sql.placeholder("user"),
        name: sql.placeholder("name"),
        username: sql.placeholder("username"),
        updatedAt: sql.placeholder("at"),
      })
      .onConflictDoUpdate({
        target: users.userId,
        set: { name: sql`excluded.name`, username: sql`excluded.username`, updatedAt: sql`excluded.updated_at` },
      }),
  ).execute({ user: user.userId, name: user.name, username: user.username, at: now });
}

/** Whether the bot has seen `userId` in a configured group. */
export async function isKnownUser(q: Queryable, userId: number): Promise<boolean> {
  const [row] = await q.select({ id: users.userId }).from(users).where(eq(users.userId, userId)).limit(1);
  return row !== undefined;
}

/** A known user by @username (case-insensitive, without the @). */
export async function userByUsername(q: Queryable, username: string): Promise<KnownUser | null> {
  const [row] = await q
    .select({ userId: users.userId, name: users.name, username: users.username })
    .from(users)
    .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
  return row ?? null;
}

/** Display names of known users, by id. */
export async function userNames(q: Queryable, userIds: readonly number[]): Promise<Map<number, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await q
    .select({ id: users.userId, name: users.name })
    .from(users)
    .where(inArray(users.userId, [...userIds]));
  return new Map(rows.map((u) => [u.id, u.name]));
}
