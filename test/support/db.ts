// Test databases: one per test file, reset between tests. PGlite always; real Postgres too
// when TEST_DATABASE_URL is set (CI sets it).
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { ALL_TABLES, type Database, openDatabase } from "../../src/adapters/db/database.js";
import { freezesChanged } from "../../src/app/freeze-cache.js";
import { withDatabase } from "./global-setup.js";

export interface TestDatabase extends Database {
  /** Empties every table and restarts ids. */
  reset(): Promise<void>;
  /** Postgres only: the URL of this file's database (for child processes). */
  url: string | null;
  /** The SQL of every statement run through `db` since the last reset (drizzle's logger). */
  statements: string[];
}

export interface TestBackend {
  name: "pglite" | "postgres";
  open(): Promise<TestDatabase>;
}

let counter = 0;

async function openPglite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-pglite-"));
  cpSync(inject("pgliteTemplateDir"), dir, { recursive: true });
  const statements: string[] = [];
  const database = await openDatabase({ kind: "pglite", dir }, { migrate: false, logger: recorder(statements) });
  return withReset(database, statements, null, async () => rmSync(dir, { recursive: true, force: true }));
}

async function openPostgres(): Promise<TestDatabase> {
  const info = inject("postgresTemplate");
  if (!info) throw new Error("TEST_DATABASE_URL is not set");
  const name = `nightshift_t_${process.pid}_${Date.now()}_${counter++}`;
  const admin = postgres(info.serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${info.template}`);
  const url = withDatabase(info.serverUrl, name);
  const statements: string[] = [];
  const database = await openDatabase(
    { kind: "postgres", url },
    { migrate: false, poolSize: 20, logger: recorder(statements) },
  );
  return withReset(database, statements, url, async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
}

/** Polls `done` every few ms for at most 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !done(); await new Promise((r) => setTimeout(r, 2))) {
    if (Date.now() > deadline) throw new Error("the freezes notification did not arrive in 5 s");
  }
}

const recorder = (statements: string[]) => ({ logQuery: (query: string) => void statements.push(query) });

function withReset(
  database: Database,
  statements: string[],
  url: string | null,
  cleanup: () => Promise<void>,
): TestDatabase {
  return {
    ...database,
    url,
    statements,
    reset: async () => {
      const heard = database.freezeCache.invalidations;
      await database.db.execute(sql.raw(`truncate ${ALL_TABLES.join(", ")} restart identity cascade`));
      freezesChanged(database.db); // the freezes are gone now, not when the notification arrives
      // and the truncate's notification has arrived too, so it cannot drop a cache a test warms
      await until(() => !database.freezeCache.live || database.freezeCache.invalidations > heard + 1);
      statements.length = 0;
    },
    close: async () => {
      await database.close();
      await cleanup();
    },
  };
}

/** The backends this run tests against: `describe.each(testBackends())("… on $name", …)`. */
export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [{ name: "pglite", open: openPglite }];
  if (inject("postgresTemplate")) backends.push({ name: "postgres", open: openPostgres });
  return backends;
}

/** Real Postgres only (concurrency and locking tests); empty when TEST_DATABASE_URL is unset. */
export function postgresBackends(): TestBackend[] {
  return testBackends().filter((b) => b.name === "postgres");
}

/**
 * One database for the enclosing describe block: opened before its tests, closed after them.
 * The returned handle is filled in by beforeAll, so use it inside hooks and tests only.
 */
export function useTestDatabase(backend: TestBackend): TestDatabase {
  const handle = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(handle, await backend.open());
  });
  afterAll(() => handle.close());
  return handle;
}
