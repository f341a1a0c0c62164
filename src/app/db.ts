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
