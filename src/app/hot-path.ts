// issue 15: the statements every update runs (the dedupe claim, the conversation state) and the
// approval press's, as drizzle prepared statements. On a database handle a statement is built once
// (`.prepare(name)` with `sql.placeholder`s) and kept per handle; inside a transaction it is built
// for that transaction and prepared there. On Postgres a prepared statement is named: postgres.js
// parses it once per connection and then binds and executes it in one round trip, where an unnamed
// one waits for the server's parameter types first (two). DATABASE_PREPARE=false (poolers without
// named statements, PgBouncer < 1.21 in transaction mode) makes the driver send every statement
// unnamed (src/adapters/db/database.ts); the SQL is the same either way. PGlite runs in the process:
// there `.prepare` only saves building the SQL again.
import { PgTransaction } from "drizzle-orm/pg-core";
import type { Queryable } from "./db.js";

interface Preparable<P> {
  prepare(name: string): P;
}

const byHandle = new WeakMap<object, Map<string, unknown>>();

/**
 * The statement `name` built by `build` on `q`, prepared: kept per database handle (so `build` must
 * take every varying value as a `sql.placeholder`), or prepared for this one call inside a
 * transaction (a transaction's session ends with it).
 */
export function prepared<P>(q: Queryable, name: string, build: (q: Queryable) => Preparable<P>): P {
  if (q instanceof PgTransaction) return build(q).prepare(name);
  const statements = byHandle.get(q) ?? new Map<string, unknown>();
  byHandle.set(q, statements);
  const known = statements.get(name) as P | undefined;
  if (known !== undefined) return known;
  const statement = build(q).prepare(name);
  statements.set(name, statement);
  return statement;
}

/** Whether `q` is a transaction (whose statements run one after another on its connection). */
export const inTransaction = (q: Queryable): boolean => q instanceof PgTransaction;
