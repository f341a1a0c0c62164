import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "../../../drizzle/schema.js";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, any>;
/** A database or a transaction: query code that may run inside someone else's transaction. */
export type Queryable = Db | Tx;

export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string | null };

export interface Database {
  db: Db;
  kind: DatabaseTarget["kind"];
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../migrations", import.meta.url));

// Serialises migrations when several replicas start at once.
const MIGRATION_LOCK_KEY = 0x6e696768; // "nigh"

export async function openDatabase(
  target: DatabaseTarget,
  options: { migrate?: boolean; poolSize?: number } = {},
): Promise<Database> {
  const shouldMigrate = options.migrate ?? true;
  if (target.kind === "pglite") {
    if (target.dir) mkdirSync(target.dir, { recursive: true });
    const client = target.dir ? new PGlite(target.dir) : new PGlite();
    await client.waitReady;
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    if (shouldMigrate) await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    return { db, kind: "pglite", close: () => client.close() };
  }
  if (shouldMigrate) await migratePostgresLocked(target.url);
  const client = postgres(target.url, {
    max: options.poolSize ?? 10,
    onnotice: () => {},
    connection: { application_name: "nightshift" },
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return { db, kind: "postgres", close: () => client.end({ timeout: 5 }) };
}

async function migratePostgresLocked(url: string): Promise<void> {
  // One connection, so the session lock is held by the same session that releases it.
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzlePostgres(client, { schema });
    await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Every table the app writes, in an order TRUNCATE … CASCADE accepts (tests). */
export const ALL_TABLES = [
  "hotfix_requests",
  "bug_events",
  "deployments",
  "window_runs",
  "outbox",
  "freezes",
  "oncall",
  "bugs",
  "environments",
  "systems",
  "admins",
  "users",
  "kv",
  "processed_updates",
] as const;
