// issue 15: the freeze cache the approval reply reads (src/app/freeze-cache.ts): a statement only
// when cold, dropped by this process's own changes at once, by other connections' changes when
// their notification arrives, and off while the LISTEN connection is lost.
import postgres from "postgres";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { freezes } from "../../drizzle/schema.js";
import { freezesChanged, storedFreezesForReply } from "../../src/app/freeze-cache.js";
import { postgresBackends, testBackends, useTestDatabase } from "../support/db.js";

const AT = new Date("2099-11-21T04:00:00Z");
const freeze = (reason: string, until: Date | null = null) => ({
  scope: "all" as const,
  reason,
  until,
  createdBy: "Alice",
});
const reads = (statements: string[]) => statements.filter((q) => /\bfrom "freezes"/.test(q)).length;

describe.each(testBackends())("freeze cache on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("reads once while warm, applies expiry per instant, and drops at once on a local change", async () => {
    const heard = t.freezeCache.invalidations;
    await t.db.insert(freezes).values(freeze("機房搬遷", new Date("2099-11-22T00:00:00Z")));
    // the insert's own notification may still be on its way: wait for it before warming the cache
    await vi.waitFor(() => expect(t.freezeCache.invalidations).toBeGreaterThan(heard), { timeout: 5000, interval: 5 });
    t.statements.length = 0;
    expect((await storedFreezesForReply(t.db, AT)).map((f) => f.reason)).toEqual(["機房搬遷"]);
    expect((await storedFreezesForReply(t.db, new Date("2099-11-23T00:00:00Z"))).map((f) => f.reason)).toEqual([]);
    expect(reads(t.statements)).toBe(1);
    expect(t.freezeCache.warm).toBe(true);

    await t.db.update(freezes).set({ liftedAt: AT, liftedBy: "Alice" });
    freezesChanged(t.db); // what src/app/freeze-admin.ts does after its transactions
    expect(await storedFreezesForReply(t.db, AT)).toEqual([]);
    expect(reads(t.statements)).toBe(2);
  });
});

describe.each(postgresBackends())("freeze cache LISTEN on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("is off while the LISTEN connection is lost, and back, empty, once it is re-established", async () => {
    await storedFreezesForReply(t.db, AT);
    expect(t.freezeCache.warm).toBe(true);
    const admin = postgres(t.url!, { max: 1, onnotice: () => {} });
    try {
      await admin`select pg_terminate_backend(pid) from pg_stat_activity
                  where application_name = 'nightshift-listen' and datname = current_database()`;
      await vi.waitFor(() => expect(t.freezeCache.live).toBe(false), { timeout: 5000, interval: 5 });
      // lost: a freeze written now is read from the table (no notification can reach this process)
      await admin`insert into freezes (scope, reason, created_by) values ('all', '斷線期間', 'Replica B')`;
      const during = await storedFreezesForReply(t.db, AT);
      expect(during.map((f) => f.reason)).toEqual(["斷線期間"]);
      await vi.waitFor(() => expect(t.freezeCache.live).toBe(true), { timeout: 10_000, interval: 10 });
      expect(t.freezeCache.warm).toBe(false);
      // re-established: notifications arrive again
      await storedFreezesForReply(t.db, AT);
      const heard = t.freezeCache.invalidations;
      await admin`update freezes set lifted_at = now(), lifted_by = 'Replica B'`;
      await vi.waitFor(() => expect(t.freezeCache.invalidations).toBeGreaterThan(heard), {
        timeout: 5000,
        interval: 5,
      });
      expect(await storedFreezesForReply(t.db, AT)).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});
