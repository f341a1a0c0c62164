// issue 15: the stored freezes as last read, for the approval press's reply ("runs at T2 …,
// skipping frozen days") so that a press needs no freeze statement. Only that informational reply
// reads it: windows, deploy gates, /status and /freeze read the freezes table (authoritative).
//
// Correct with several replicas: a trigger on `freezes` (migrations/0008_freezes-notify.sql)
// notifies channel `nightshift_freezes` after every committed change; each process LISTENs
// (src/adapters/db/database.ts) and drops its cache. The cache is used only while that LISTEN is
// in place ("live"): it is dropped when the listening connection is lost and again when LISTEN is
// re-established (a notification may have been missed in between), and dropped synchronously by
// this process's own freeze changes (`freezesChanged`).
import { isNull } from "drizzle-orm";
import { freezes } from "../../drizzle/schema.js";
import type { StoredFreeze } from "../core/freeze.js";
import type { Queryable } from "./db.js";
import { activeStoredFreezes, toStoredFreeze } from "./freeze-state.js";
import { inTransaction } from "./hot-path.js";

/** The channel the freezes trigger notifies. */
export const FREEZES_CHANNEL = "nightshift_freezes";

export class FreezeCache {
  /** Every stored freeze not lifted (expiry is applied per read: `until` > the instant asked about). */
  #rows: Promise<StoredFreeze[]> | null = null;
  /** Bumped by every invalidation: a read that started before one is not kept. */
  #generation = 0;
  #live = false;
  /** Invalidations so far (tests wait on this to see a notification arrive). */
  invalidations = 0;

  constructor(private readonly db: Queryable) {}

  /** Whether notifications reach this process (LISTEN in place): only then is the cache used. */
  get live(): boolean {
    return this.#live;
  }

  /** Whether the next read is served without a statement. */
  get warm(): boolean {
    return this.#live && this.#rows !== null;
  }

  /** LISTEN established (again): start from an empty cache. Lost: stop using it. */
  setLive(live: boolean): void {
    this.#live = live;
    this.invalidate();
  }

  /** Freezes changed (a notification, or this process's own change): drop what was read. */
  invalidate(): void {
    this.#generation++;
    this.#rows = null;
    this.invalidations++;
  }

  /** Stored freezes not lifted and not expired at `at`, as `activeStoredFreezes` reads them. */
  async active(at: Date): Promise<StoredFreeze[]> {
    if (!this.#live) return activeStoredFreezes(this.db, at);
    if (!this.#rows) {
      const generation = this.#generation;
      const rows = this.load();
      this.#rows = rows;
      // a failed read, or one overtaken by a change, is not kept
      const drop = () => {
        if (this.#rows === rows) this.#rows = null;
      };
      rows.then(() => generation !== this.#generation && drop(), drop);
    }
    const rows = await this.#rows!;
    return rows.filter((r) => r.until === null || r.until > at);
  }

  private async load(): Promise<StoredFreeze[]> {
    const rows = await this.db.select().from(freezes).where(isNull(freezes.liftedAt));
    return rows.map(toStoredFreeze);
  }
}

const caches = new WeakMap<object, FreezeCache>();

/** Gives `db` its freeze cache (the database adapter does, with the LISTEN that keeps it fresh). */
export function attachFreezeCache(db: Queryable, cache: FreezeCache): void {
  caches.set(db, cache);
}

export const freezeCacheOf = (db: Queryable): FreezeCache | undefined => caches.get(db);

/** This process changed freezes through `db` (committed): its cache is dropped now, not at the notification. */
export function freezesChanged(db: Queryable): void {
  caches.get(db)?.invalidate();
}

/**
 * The stored freezes an informational reply names, as of `at`: from `db`'s cache when it has a
 * live one, else read. Inside a transaction always read (it may see its own uncommitted changes).
 */
export function storedFreezesForReply(db: Queryable, at: Date): Promise<StoredFreeze[]> {
  const cache = inTransaction(db) ? undefined : caches.get(db);
  return cache ? cache.active(at) : activeStoredFreezes(db, at);
}
