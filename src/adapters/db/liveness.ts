// Which process owns a `running` deployment or window. Each process holds a session advisory
// lock on its own dedicated Postgres connection for its whole life; the lock vanishes with the
// process (kill -9 included), so "can I take its lock?" tells whether the owner is alive.
// PGlite is single-process: only this process can be alive. The connection never retires
// (postgres.js would recycle it after 30–60 min by default, silently dropping the lock), and if
// it is lost anyway (Postgres restarted) the lock is taken again as soon as the server is back.
import { randomInt, randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import postgres from "postgres";
import type { Liveness } from "../../app/ports.js";
import { type DatabaseTarget, RECONNECT } from "./database.js";

const LOCK_CLASS = 0x6e73; // "ns"
const RELOCK_RETRY_MS = 1000;

export type { Liveness };

export async function holdLiveness(target: DatabaseTarget): Promise<Liveness> {
  if (target.kind === "pglite") {
    const instanceId = `local:${randomUUID()}`;
    return { instanceId, isAlive: async (owner) => owner === instanceId, close: async () => {} };
  }
  const key = randomInt(1, 2 ** 31 - 1);
  let held = false;
  let closed = false;
  let relocking = false;
  const relock = async () => {
    if (relocking) return;
    relocking = true;
    while (!closed) {
      try {
        await sql`select pg_advisory_lock(${LOCK_CLASS}, ${key})`;
        break;
      } catch {
        await delay(RELOCK_RETRY_MS);
      }
    }
    relocking = false;
  };
  const sql = postgres(target.url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    ...RECONNECT,
    onnotice: () => {},
    onclose: () => {
      if (held && !closed) void relock();
    },
  });
  await sql`select pg_advisory_lock(${LOCK_CLASS}, ${key})`;
  held = true;
  const instanceId = `pg:${key}`;
  return {
    instanceId,
    isAlive: async (owner) => {
      if (owner === instanceId) return true;
      const other = /^pg:(\d+)$/.exec(owner ?? "");
      if (!other) return false;
      const [row] = await sql<
        { free: boolean }[]
      >`select pg_try_advisory_lock(${LOCK_CLASS}, ${Number(other[1])}) as free`;
      if (!row?.free) return true;
      await sql`select pg_advisory_unlock(${LOCK_CLASS}, ${Number(other[1])})`;
      return false;
    },
    close: () => {
      closed = true;
      return sql.end({ timeout: 5 });
    },
  };
}
