import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type Logger, sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "../../../drizzle/schema.js";

import { connectionFailure, type Db } from "../../app/db.js";
import { attachFreezeCache, FREEZES_CHANNEL, FreezeCache } from "../../app/freeze-cache.js";

export type { Db, Queryable, Schema, Tx } from "../../app/db.js";
export { connectionFailure } from "../../app/db.js";

export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string | null };

export interface Database {
  db: Db;
  kind: DatabaseTarget["kind"];
  /** issue 15: the stored freezes the approval reply names, kept fresh by LISTEN (app/freeze-cache.ts). */
  freezeCache: FreezeCache;
  close(): Promise<void>;
}

/** DATABASE_URL with its password replaced by `***`, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Why the database could not be opened at start-up, in one bilingual line naming what failed
 * (server unreachable, database missing, authentication) — never the password. Null when the
 * error is not about connecting (a failed migration, say): the caller reports it as it is.
 */
export function describeDatabaseError(error: unknown, url: string): string | null {
  let host = "?";
  let user = "?";
  let database = "?";
  let password = "";
  try {
    const u = new URL(url);
    host = `${u.hostname}:${u.port || "5432"}`;
    user = decodeURIComponent(u.username) || "(default)";
    database = decodeURIComponent(u.pathname.slice(1)) || user;
    password = u.password;
  } catch {}
  const secrets = password ? [password, decodeURIComponent(password)] : [];
  const clean = (text: string) => secrets.reduce((t, secret) => t.replaceAll(secret, "***"), text);
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? "");
    const message = clean(e instanceof Error ? e.message : String(e));
    const fix = (zh: string, en: string) => `DATABASE_URL：${zh} / DATABASE_URL: ${en}`;
    switch (true) {
      case code === "ENOTFOUND" || code === "EAI_AGAIN":
        return fix(
          `找不到資料庫主機 ${host}（${code}），請檢查主機名稱。`,
          `cannot resolve the database host ${host} (${code}): check the host name.`,
        );
      case code === "ECONNREFUSED" ||
        code === "EHOSTUNREACH" ||
        code === "ENETUNREACH" ||
        code === "ETIMEDOUT" ||
        code === "CONNECT_TIMEOUT":
        return fix(
          `無法連線到資料庫伺服器 ${host}（${code}），請確認 Postgres 正在執行，且主機與連接埠正確。`,
          `cannot reach the database server at ${host} (${code}): check that Postgres is running and the host and port are right.`,
        );
      case code === "3D000":
        return fix(
          `資料庫伺服器 ${host} 上沒有名為「${database}」的資料庫，請先建立（createdb ${database}）或修正名稱。`,
          `database "${database}" does not exist on ${host}: create it (createdb ${database}) or fix the name.`,
        );
      case code === "28P01" || code === "28000":
        return fix(
          `資料庫伺服器 ${host} 拒絕了使用者「${user}」的登入，請檢查使用者名稱與密碼。`,
          `authentication failed for user "${user}" on ${host} (${message}): check the user name and password.`,
        );
      case code === "57P03":
        return fix(
          `資料庫伺服器 ${host} 正在啟動或關閉中，請稍後再試。`,
          `the database server at ${host} is starting up or shutting down (${message}): try again shortly.`,
        );
    }
  }
  return null;
}

/**
 * postgres.js ≤ 3.4.9 (porsager/postgres#1154, #1208): when the server drops a connection while a
 * transaction is mid-query, the driver writes its ROLLBACK to the dead connection. Depending on
 * timing that either throws from a timer, where no caller can catch it (this error: harmless,
 * main.ts logs it and goes on), or silently wedges the connection: it never finishes connecting
 * again and every query routed to it fails with CONNECT_TIMEOUT. Only transactions do this, and
 * the transaction fails with a lost connection either way: openDatabase then replaces the pool.
 */
export const isDriverWriteAfterClose = (error: unknown): boolean =>
  error instanceof TypeError &&
  /reading 'write'|evaluating 'socket\.write'/.test(error.message) &&
  /postgres[\\/](cjs[\\/])?src[\\/]connection\.js/.test(error.stack ?? "");

/**
 * While Postgres is down every query waits for its connection's reconnect backoff and then fails:
 * keep that short (postgres.js' default grows to 20 s) so users hear 「系統暫時無法使用」 at once, a
 * button is answered before Telegram gives up on it, and service resumes as soon as it can.
 */
export const RECONNECT = { backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1), connect_timeout: 10 };

/**
 * issue 15: the embedded Postgres with 16 MB of shared buffers. Postgres' default (128 MB) is
 * allocated and touched at start inside PGlite's WASM memory: ~450 MB of the process's idle RSS
 * for a bot whose whole database fits in a few MB (measured: 771 → 321 MB for a bare instance).
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

/**
 * issue 15: a new PGlite data dir is created (initdb) in a short-lived child process. initdb grows
 * the WASM Postgres' memory, which never shrinks: done in the bot's own process it leaves ~700 MB
 * RSS at idle (~400 MB after a GC); opening the existing dir afterwards costs what every restart
 * costs (~230 MB with the app). An in-memory PGlite (memory://) has to run initdb in the process.
 */
async function initPgliteDir(dir: string): Promise<void> {
  if (existsSync(join(dir, "PG_VERSION"))) return;
  const script = [
    "const { PGlite } = require(process.env.NIGHTSHIFT_PGLITE);",
    "const { NIGHTSHIFT_PGLITE_DIR: dir, NIGHTSHIFT_PGLITE_PARAMS: params } = process.env;",
    "const db = new PGlite(dir, { startParams: JSON.parse(params) });",
    "db.waitReady.then(() => db.close()).catch((e) => { console.error(e); process.exit(1); });",
  ].join("\n");
  const env = {
    PATH: process.env.PATH ?? "",
    NIGHTSHIFT_PGLITE: createRequire(import.meta.url).resolve("@electric-sql/pglite"),
    NIGHTSHIFT_PGLITE_DIR: dir,
    NIGHTSHIFT_PGLITE_PARAMS: JSON.stringify(PGLITE_START_PARAMS),
  };
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { env }, (error, _stdout, stderr) =>
      error ? reject(new Error(`PGlite initdb in ${dir} failed: ${stderr.slice(-2000) || error.message}`)) : resolve(),
    ),
  );
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../migrations", import.meta.url));

// Serialises migrations when several replicas start at once.
const MIGRATION_LOCK_KEY = 0x6e696768; // "nigh"

export async function openDatabase(
  target: DatabaseTarget,
  options: {
    migrate?: boolean;
    poolSize?: number;
    onPoolRenewed?: () => void;
    /**
     * issue 15 (DATABASE_PREPARE): false = postgres.js sends every statement unnamed, for poolers
     * without named prepared statements (PgBouncer < 1.21 in transaction mode). Default true: the
     * statements the app prepares (src/app/hot-path.ts) are parsed once per connection.
     */
    prepare?: boolean;
    /** drizzle's query logger (tests count the statements an update runs). */
    logger?: Logger;
    /** false: no LISTEN for freeze changes (the freeze cache stays off: every read is a statement). */
    listen?: boolean;
  } = {},
): Promise<Database> {
  const shouldMigrate = options.migrate ?? true;
  const logger = options.logger ? { logger: options.logger } : {};
  if (target.kind === "pglite") {
    if (target.dir) mkdirSync(target.dir, { recursive: true });
    if (target.dir) await initPgliteDir(target.dir);
    const pgliteOptions = { startParams: PGLITE_START_PARAMS };
    const client = target.dir ? new PGlite(target.dir, pgliteOptions) : new PGlite(pgliteOptions);
    await client.waitReady;
    const db = drizzlePglite(client, { schema, ...logger }) as unknown as Db;
    if (shouldMigrate) await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    const freezes = await cachePgliteFreezes(client, db, options.listen ?? true);
    return {
      db,
      kind: "pglite",
      freezeCache: freezes.cache,
      close: async () => {
        await freezes.close();
        await client.close();
      },
    };
  }
  if (shouldMigrate) await migratePostgresLocked(target.url);
  const open = () =>
    postgres(target.url, {
      max: options.poolSize ?? 10,
      prepare: options.prepare ?? true,
      onnotice: () => {},
      connection: { application_name: "nightshift" },
      ...RECONNECT,
    });
  let pool = open();
  let renewing = false;
  const renewPool = () => {
    // once per burst: several transactions die in the same instant
    if (renewing) return;
    renewing = true;
    setImmediate(() => {
      renewing = false;
      const old = pool;
      pool = open();
      // the type parsers drizzle installed on the first pool
      Object.assign(pool.options.parsers, old.options.parsers);
      Object.assign(pool.options.serializers, old.options.serializers);
      void old.end({ timeout: 5 }).catch(() => {});
      options.onPoolRenewed?.();
    });
  };
  // drizzle keeps the client it was given: hand it a stand-in that always reaches the current pool.
  const client = new Proxy(pool, {
    get: (_, key) => {
      const current = pool;
      if (key === "begin")
        return (...args: Parameters<typeof current.begin>) =>
          current.begin(...args).catch((error: unknown) => {
            if (current === pool && connectionFailure(error) === "lost") renewPool();
            throw error;
          });
      const value = Reflect.get(current, key);
      return typeof value === "function" ? value.bind(current) : value;
    },
    apply: (_, self, args) => Reflect.apply(pool, self, args),
  });
  const db = drizzlePostgres(client, { schema, ...logger }) as unknown as Db;
  const freezes = await cachePostgresFreezes(target.url, db, options.listen ?? true);
  return {
    db,
    kind: "postgres",
    freezeCache: freezes.cache,
    close: async () => {
      await freezes.close();
      await pool.end({ timeout: 5 });
    },
  };
}

export interface FreezeCaching {
  cache: FreezeCache;
  close(): Promise<void>;
}

/** `db`'s freeze cache on PGlite (also used by the bench). One session in the process: its own
 * commits' notifications arrive with the COMMIT's reply. `listen` false: the cache stays off. */
export async function cachePgliteFreezes(client: PGlite, db: Db, listen = true): Promise<FreezeCaching> {
  const cache = new FreezeCache(db);
  attachFreezeCache(db, cache);
  const unlisten = listen ? await client.listen(FREEZES_CHANNEL, () => cache.invalidate()) : null;
  if (unlisten) cache.setLive(true);
  return {
    cache,
    close: async () => {
      cache.setLive(false);
      await unlisten?.().catch(() => {});
    },
  };
}

/** `db`'s freeze cache on Postgres, with its LISTEN connection (also used by the bench). */
export async function cachePostgresFreezes(url: string, db: Db, listen = true): Promise<FreezeCaching> {
  const cache = new FreezeCache(db);
  attachFreezeCache(db, cache);
  const listener = listen ? await listenForFreezes(url, cache) : null;
  return { cache, close: async () => listener?.close() };
}

/**
 * issue 15: LISTEN nightshift_freezes on a connection of its own (the pool's connections come and
 * go; a pooler in transaction mode would not keep a LISTEN either, so DATABASE_URL must reach
 * Postgres or a session-mode pooler for the cache to be used). Each notification drops the cache.
 * The cache is used only while the LISTEN is in place: when its connection is lost the cache goes
 * off (every reply reads the table) and LISTEN is retried with the pool's backoff; once it is back
 * the cache starts empty, since notifications sent in between were missed.
 */
async function listenForFreezes(url: string, cache: FreezeCache): Promise<{ close(): Promise<void> }> {
  let closed = false;
  let retrying: Promise<void> | null = null;
  const listenSql = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "nightshift-listen" },
    ...RECONNECT,
    // postgres.js calls it for every NOTIFY on this connection (undeclared in its types)
    ...({ onnotify: (channel: string) => channel === FREEZES_CHANNEL && cache.invalidate() } as object),
    onclose: () => {
      cache.setLive(false);
      if (!closed) retrying ??= relisten().finally(() => (retrying = null));
    },
  });
  const listenOnce = async () => {
    await listenSql.unsafe(`listen ${FREEZES_CHANNEL}`);
    if (!closed) cache.setLive(true);
  };
  const relisten = async () => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        return await listenOnce();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RECONNECT.backoff(attempt) * 1000).unref());
      }
    }
  };
  try {
    await listenOnce();
  } catch {
    retrying ??= relisten().finally(() => (retrying = null));
  }
  return {
    close: async () => {
      closed = true;
      cache.setLive(false);
      await listenSql.end({ timeout: 5 }).catch(() => {});
    },
  };
}

async function migratePostgresLocked(url: string): Promise<void> {
  // One connection, so the session lock is held by the same session that releases it.
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: RECONNECT.connect_timeout });
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
  "chat_migrations",
  "freezes",
  "oncall",
  "bugs",
  "system_members",
  "environments",
  "systems",
  "admins",
  "users",
  "kv",
  "claims",
  "rollback_plans",
  "incidents", // issue 12
  "processed_updates",
  // issue 13
  "github_deliveries",
  "relay_jobs",
  "slack_mirrors",
] as const;
