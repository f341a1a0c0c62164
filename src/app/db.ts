// The database handle types the use cases write through (drizzle over the schema in drizzle/).
// Declared here so src/app needs nothing from src/adapters; src/adapters/db opens the database
// and re-exports these.
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type * as schema from "../../drizzle/schema.js";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, any>;
/** A database or a transaction: query code that may run inside someone else's transaction. */
export type Queryable = Db | Tx;

const UNREACHABLE = /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|CONNECT_TIMEOUT|57P03|08001|08004)$/;
const LOST = /^(CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|ECONNRESET|EPIPE|ETIMEDOUT|57P0[12]|08\d{3})$/;

/**
 * Whether an error means the database connection failed: "unreachable" (could not connect) or
 * "lost" (dropped mid-session: server shut down or restarted, network cut). Drizzle wraps query
 * errors ("Failed query: …") with the driver's error as `cause`, so the cause chain is read.
 */
export function connectionFailure(error: unknown): "unreachable" | "lost" | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? "");
    if (UNREACHABLE.test(code)) return "unreachable";
    if (LOST.test(code)) return "lost";
  }
  return null;
}
