import { and, eq, sql } from "drizzle-orm";
import { admins, environments, systems } from "../../drizzle/schema.js";
import type { Env } from "../core/model.js";
import type { Queryable } from "./db.js";

export interface SystemSeed {
  id: string;
  name: string;
  groupChatId: number;
  timezone: string;
  windows: { t1: string; t2: string };
}

/** Makes the systems table match the configuration (environments rows keep their versions). */
export async function syncSystems(db: Queryable, seeds: readonly SystemSeed[]): Promise<void> {
  if (seeds.length === 0) return;
  await db.transaction(async (tx) => {
    for (const s of seeds) {
      const row = {
        id: s.id,
        name: s.name,
        groupChatId: s.groupChatId,
        timezone: s.timezone,
        t1Time: s.windows.t1,
        t2Time: s.windows.t2,
      };
      await tx.insert(systems).values(row).onConflictDoUpdate({ target: systems.id, set: row });
      await tx
        .insert(environments)
        .values([
          { systemId: s.id, env: "uat" },
          { systemId: s.id, env: "prod" },
        ])
        .onConflictDoNothing();
    }
  });
}

export type EnvironmentRow = typeof environments.$inferSelect;

export async function environmentVersions(
  q: Queryable,
  systemId: string,
): Promise<{ uat: string | null; prod: string | null }> {
  const rows = await q.select().from(environments).where(eq(environments.systemId, systemId));
  const of = (env: Env) => rows.find((r) => r.env === env)?.currentVersion ?? null;
  return { uat: of("uat"), prod: of("prod") };
}

/** Records a successful deploy: previous ← current, current ← version. */
export async function setEnvironmentVersion(
  q: Queryable,
  systemId: string,
  env: Env,
  version: string,
  now: Date,
): Promise<void> {
  await q
    .update(environments)
    .set({ previousVersion: sql`${environments.currentVersion}`, currentVersion: version, updatedAt: now })
    .where(and(eq(environments.systemId, systemId), eq(environments.env, env)));
}

/** Admin rights are re-read on every decision: env ADMIN_IDS plus the admins table. */
export async function isAdmin(q: Queryable, userId: number, envAdminIds: readonly number[]): Promise<boolean> {
  if (envAdminIds.includes(userId)) return true;
  const [row] = await q.select({ id: admins.userId }).from(admins).where(eq(admins.userId, userId));
  return row !== undefined;
}

export async function adminIds(q: Queryable, envAdminIds: readonly number[]): Promise<number[]> {
  const rows = await q.select({ id: admins.userId }).from(admins);
  return [...new Set([...envAdminIds, ...rows.map((r) => r.id)])];
}
