// The configured systems and their rows: syncing the systems table with the configuration, environment
// versions, admin rights, and systemRegistry — the one way to look a system up by id or group chat.
import { and, eq, sql } from "drizzle-orm";
import { admins, chatMigrations, environments, systems } from "../../drizzle/schema.js";
import type { Config, SystemConfig } from "../config.js";
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

/**
 * The configured systems, looked up one way everywhere. `get` is for ids the bot stored itself (a bug's,
 * a deployment's): a miss means the configuration lost a system, and the error says which and what is
 * configured. `find` is for ids that came from outside (a command argument, a button) or may be absent.
 * The registry reads `config.systems` at each call, so it never goes stale and is free to create.
 */
export interface SystemRegistry {
  /** Every configured system, in configuration order. */
  all(): readonly SystemConfig[];
  /** The system with this id; throws UnknownSystemError when none is configured. */
  get(id: string): SystemConfig;
  /** The system with this id, or undefined (also for a missing id). */
  find(id: string | null | undefined): SystemConfig | undefined;
  /** The system whose group is this chat, as configured (groupChatId), or undefined. */
  byGroupChat(chatId: number | null | undefined): SystemConfig | undefined;
  /**
   * Like byGroupChat, but a group Telegram has since upgraded to a supergroup (recorded in
   * chat_migrations) is found under its new chat id too, until the configuration is updated.
   */
  byGroupChatNow(q: Queryable, chatId: number | null | undefined): Promise<SystemConfig | undefined>;
}

export class UnknownSystemError extends Error {
  override name = "UnknownSystemError";
  constructor(
    readonly systemId: string,
    configured: readonly string[],
  ) {
    super(`unknown system ${systemId} (configured: ${configured.join(", ") || "none"})`);
  }
}

export function systemRegistry(config: Pick<Config, "systems">): SystemRegistry {
  const find = (id: string | null | undefined) =>
    id === null || id === undefined ? undefined : config.systems.find((s) => s.id === id);
  const byGroupChat = (chatId: number | null | undefined) =>
    chatId === null || chatId === undefined ? undefined : config.systems.find((s) => s.groupChatId === chatId);
  return {
    all: () => config.systems,
    get(id) {
      const system = find(id);
      if (!system)
        throw new UnknownSystemError(
          id,
          config.systems.map((s) => s.id),
        );
      return system;
    },
    find,
    byGroupChat,
    async byGroupChatNow(q, chatId) {
      const configured = byGroupChat(chatId);
      if (configured || chatId === null || chatId === undefined) return configured;
      // recordChatMigration keeps every old id pointing straight at the newest one: one hop suffices.
      const rows = await q
        .select({ oldChatId: chatMigrations.oldChatId })
        .from(chatMigrations)
        .where(eq(chatMigrations.newChatId, chatId));
      const old = new Set(rows.map((r) => r.oldChatId));
      return config.systems.find((s) => old.has(s.groupChatId));
    },
  };
}
