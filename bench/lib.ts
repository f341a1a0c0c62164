// Shared by the benchmarks: the two backends (a throwaway Postgres database, in-memory PGlite),
// statistics, an instant Bot API for grammY's client.fetch, and seeding with bulk inserts.
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import pino from "pino";
import postgres from "postgres";
import * as schema from "../drizzle/schema.js";
import {
  ALL_TABLES,
  cachePgliteFreezes,
  cachePostgresFreezes,
  type Db,
  MIGRATIONS_FOLDER,
  openDatabase,
} from "../src/adapters/db/database.js";
import { syncSystems } from "../src/app/systems.js";
import { type Config, loadConfig, type SystemConfig } from "../src/config.js";
import type { Status } from "../src/core/model.js";

export const GROUP = -1001234567890;
export const ADMIN = { id: 1001, first_name: "Alice", username: "alice" };
export const TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz";
export const silent = pino({ level: "silent" });

// ---------- statistics ----------

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Nearest-rank percentile (p in 0..100). */
export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

export const now = () => performance.now();

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = now();
  const value = await fn();
  return { ms: now() - start, value };
}

/** Medians of each field over several runs. */
export function medians<K extends string>(runs: readonly Record<K, number>[]): Record<K, number> {
  const keys = Object.keys(runs[0]!) as K[];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])) as Record<K, number>;
}

// ---------- backends ----------

/** What a raw floor needs: one transaction of parameterised statements, without drizzle or the app. */
export type RawTx = (text: string, params: unknown[]) => Promise<unknown>;

export interface Backend {
  name: "postgres" | "pglite";
  db: Db;
  /** postgres.js (prepared statements) or the PGlite client, in one transaction. */
  rawTransaction<T>(fn: (q: RawTx) => Promise<T>): Promise<T>;
  /** Empties every table and restarts ids. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendFactory {
  name: Backend["name"];
  open(): Promise<Backend>;
  /** For a child process (postgres only). */
  url: string | null;
}

const truncate = (db: Db) => db.execute(sql.raw(`truncate ${ALL_TABLES.join(", ")} restart identity cascade`));

/** A throwaway database on the server at `serverUrl`, migrated once; `drop()` removes it. */
export async function postgresFactory(serverUrl: string): Promise<BackendFactory & { drop(): Promise<void> }> {
  const name = `nightshift_bench_${process.pid}_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await (await openDatabase({ kind: "postgres", url })).close(); // migrates
  return {
    name: "postgres",
    url,
    open: async () => {
      // as openDatabase opens it (pool of 10)
      const client = postgres(url, { max: 10, onnotice: () => {}, connection: { application_name: "nightshift" } });
      const db = drizzlePostgres(client, { schema }) as unknown as Db;
      await truncate(db);
      const freezes = await cachePostgresFreezes(url, db); // issue 15: as openDatabase gives it
      return {
        name: "postgres",
        db,
        // tagged templates are prepared statements in postgres.js; unsafe(…, { prepare: true }) is the same
        rawTransaction: (fn) =>
          client.begin((tx) => fn((text, params) => tx.unsafe(text, params as never[], { prepare: true }))) as never,
        reset: () => truncate(db).then(() => undefined),
        close: () => freezes.close().then(() => client.end({ timeout: 5 })),
      };
    },
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** In-memory PGlite instances, each loaded from one migrated data dir (initdb + migrations once). */
export async function pgliteFactory(): Promise<BackendFactory> {
  const template = new PGlite();
  await template.waitReady;
  await migratePglite(drizzlePglite(template, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  const dump = await template.dumpDataDir("none");
  await template.close();
  return {
    name: "pglite",
    url: null,
    open: async () => {
      const client = new PGlite({ loadDataDir: dump });
      await client.waitReady;
      const db = drizzlePglite(client, { schema }) as unknown as Db;
      const freezes = await cachePgliteFreezes(client, db); // issue 15: as openDatabase gives it
      return {
        name: "pglite",
        db,
        rawTransaction: (fn) => client.transaction((tx) => fn((text, params) => tx.query(text, params))),
        reset: () => truncate(db).then(() => undefined),
        close: () => freezes.close().then(() => client.close()),
      };
    },
  };
}

// ---------- the app ----------

/** One system "crm" in GROUP, admins 1001 and 1002 from env, as loadConfig builds it. */
export function benchConfig(env: Record<string, string> = {}, patch: (s: SystemConfig) => SystemConfig = (s) => s) {
  const base = loadConfig({
    BOT_TOKEN: TOKEN,
    DATABASE_URL: "memory://",
    ADMIN_IDS: "1001,1002",
    GROUP_CHAT_ID: String(GROUP),
    UAT_URL: "https://uat.example.com",
    LOG_LEVEL: "silent",
    ...env,
  });
  return { ...base, systems: base.systems.map((s) => patch({ ...s, id: "crm", name: "Barber CRM" })) } as Config;
}

export const seedSystems = (db: Db, config: Config) => syncSystems(db, config.systems);

/** Bulk-inserts `n` bugs of system crm in `status` (rowVersion as if walked there); returns their ids in order. */
export async function seedBugs(
  db: Db,
  n: number,
  status: Status,
  opts: { flow2Every?: number; rowVersion?: number } = {},
): Promise<number[]> {
  const flow2 = opts.flow2Every ?? 0;
  const result = await db.execute(sql`
    insert into bugs (system_id, title, description, reporter_id, reporter_name, severity, found_in_env, fix_flow,
                      status, row_version, created_at, updated_at)
    select 'crm', 'Bench bug ' || i || ': the login button does nothing on Safari', 'Tap login, nothing happens',
           3000 + i % 50, 'Member ' || i % 50, case when i % 2 = 0 then 'medium' else 'low' end, 'uat',
           case when ${flow2} > 0 and i % ${flow2} = 0 then 'flow2' else 'flow1' end,
           ${status}, ${opts.rowVersion ?? 5}, ${SEEDED_AT}::timestamptz, ${SEEDED_AT}::timestamptz
    from generate_series(1, ${n}::int) as i
    order by i
    returning id`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { id: number | string }[];
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const SEEDED_AT = "2026-11-20T01:00:00Z";

// ---------- the Bot API ----------

export interface SentMessage {
  messageId: number;
  payload: Record<string, any>;
}

/**
 * An instant Bot API for grammY's client.fetch: every call succeeds at once with a plausible
 * result; the last message sent to each chat is kept (to press its buttons).
 */
export function instantBotApi() {
  let messageId = 1000;
  let calls = 0;
  const lastSent = new Map<number, SentMessage>();
  // getUpdates (long polling, issue 15): updates pushed by the bench, answered at once or on push
  // far above the ids of test/support/telegram.ts' updates, which the in-process bots of the same
  // run claim in processed_updates first: a shared id would be skipped as already handled
  let updateId = 100_000_000;
  const pending: Record<string, any>[] = [];
  const waiting: (() => void)[] = [];
  const takeUpdates = async (p: Record<string, any>, signal?: AbortSignal | null) => {
    const drop = () => {
      while (pending.length && pending[0]!.update_id < Number(p.offset ?? 0)) pending.shift();
    };
    drop();
    if (!pending.length && Number(p.timeout ?? 0) > 0 && !signal?.aborted)
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    drop();
    return pending.slice(0, Number(p.limit ?? 100));
  };
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls++;
    const u = String(url);
    const method = u.slice(u.lastIndexOf("/") + 1);
    const p = init?.body ? JSON.parse(String(init.body)) : {};
    let result: unknown = true;
    if (method === "getUpdates") result = await takeUpdates(p, init?.signal);
    // the bot may delete messages in the group (issue 17's quiet conversations stay in the group)
    if (method === "getChatMember")
      result = {
        status: "administrator",
        user: { id: p.user_id, is_bot: true, first_name: "Nightshift" },
        can_delete_messages: true,
      };
    if (method === "sendMessage" || method.startsWith("editMessage")) {
      const id = method === "sendMessage" ? ++messageId : p.message_id;
      if (method === "sendMessage") lastSent.set(p.chat_id, { messageId: id, payload: p });
      result = {
        message_id: id,
        date: 1_790_000_000,
        chat: p.chat_id < 0 ? { id: p.chat_id, type: "supergroup", title: "Team" } : { id: p.chat_id, type: "private" },
        text: p.text ?? "",
      };
    }
    return new Response(JSON.stringify({ ok: true, result }), { headers: { "content-type": "application/json" } });
  }) as typeof globalThis.fetch;
  const pushUpdate = (update: Record<string, any>) => {
    pending.push({ ...update, update_id: ++updateId });
    for (const wake of waiting.splice(0)) wake();
    return updateId;
  };
  return { fetch, lastSent, calls: () => calls, pushUpdate };
}

// ---------- updates (the tests' builders) ----------

export type { Person as From } from "../test/support/telegram.js";
export { callbackUpdate as pressUpdate, messageUpdate as textUpdate } from "../test/support/telegram.js";
