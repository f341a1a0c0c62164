import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { eq, lte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { beforeEach, describe, expect, it } from "vitest";
import * as schema from "../../drizzle/schema.js";
import { claims, deployments, hotfixRequests, kv, rollbackPlans } from "../../drizzle/schema.js";
import { type Db, MIGRATIONS_FOLDER } from "../../src/adapters/db/database.js";
import { claim, readClaim, release, releaseDeadOwners } from "../../src/app/claims.js";
import { advance } from "../../src/app/lifecycle.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { reportOne, seedSystem } from "../support/fixtures.js";

const now = new Date("2099-03-01T12:00:00Z");

describe.each(testBackends())("claims on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("a (kind, subject) is claimed once; released, it can be claimed again", async () => {
    expect(await claim(t.db, "watch", 7, { startedAt: now }, now, "pg:a")).toBe(true);
    expect(await claim(t.db, "watch", 7, { startedAt: now }, now, "pg:b")).toBe(false);
    expect(await claim(t.db, "rollback-of", 7, {}, now)).toBe(true); // another kind, same subject
    expect(await readClaim(t.db, "watch", "7")).toMatchObject({
      kind: "watch",
      subject: "7",
      owner: "pg:a",
      value: { startedAt: now.toISOString() },
    });
    expect(await release(t.db, "watch", 7)).toBe(true);
    expect(await readClaim(t.db, "watch", 7)).toBeNull();
    expect(await claim(t.db, "watch", 7, {}, now, "pg:b")).toBe(true);
  });

  it("a release bound to a token leaves a claim someone else took meanwhile", async () => {
    await claim(t.db, "env-lock", "crm:prod", { token: "t-new", holder: "T2" }, now, "pg:b");
    expect(await release(t.db, "env-lock", "crm:prod", { ifValue: { token: "t-old" } })).toBe(false);
    expect(await readClaim(t.db, "env-lock", "crm:prod")).not.toBeNull();
    expect(await release(t.db, "env-lock", "crm:prod", { ifValue: { token: "t-new" } })).toBe(true);
  });

  it("recovery releases the claims of dead owners only, of the kind it asks for", async () => {
    await claim(t.db, "env-lock", "crm:prod", { token: "a" }, now, "pg:dead");
    await claim(t.db, "env-lock", "crm:uat", { token: "b" }, now, "pg:live");
    await claim(t.db, "rollback-of", 3, {}, now, "pg:dead");
    const released = await releaseDeadOwners(t.db, "env-lock", async (owner) => owner === "pg:live");
    expect(released.map((r) => r.subject)).toEqual(["crm:prod"]);
    const left = await t.db.select().from(claims).orderBy(claims.kind, claims.subject);
    expect(left.map((r) => `${r.kind}:${r.subject}`)).toEqual(["env-lock:crm:uat", "rollback-of:3"]);
  });
});

describe.each(testBackends())("advance (one conditional update) on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
  });

  const running = (db: Db) =>
    db
      .insert(deployments)
      .values({
        systemId: "crm",
        env: "prod",
        kind: "pipeline",
        status: "running",
        version: "2099.03.01-1",
        actorName: "T2",
        startedAt: now,
      })
      .returning();

  it("moves a row once: the second mover gets zero rows (someone else won)", async () => {
    const [d] = await running(t.db);
    const first = await advance(t.db, "deployments", d!.id, ["running"], "succeeded", { finishedAt: now });
    expect(first.map((r) => [r.id, r.status, r.finishedAt])).toEqual([[d!.id, "succeeded", now]]);
    expect(await advance(t.db, "deployments", d!.id, ["running"], "interrupted")).toEqual([]);
    expect(await advance(t.db, "deployments", [d!.id], ["succeeded"], "rolled_back")).toHaveLength(1);
    expect(await advance(t.db, "deployments", [], ["succeeded"], "rolled_back")).toEqual([]);
  });

  it("refuses a move the lifecycle table does not allow, before touching the row", async () => {
    const [d] = await running(t.db);
    await expect(advance(t.db, "deployments", d!.id, ["failed"], "succeeded")).rejects.toThrow(
      "deployment: failed → succeeded is not an allowed move",
    );
    const [row] = await t.db.select().from(deployments).where(eq(deployments.id, d!.id));
    expect(row!.status).toBe("running");
  });

  it("a bulk move by condition (expiring requests) moves only the rows in a from status", async () => {
    const bug = await reportOne(t.db);
    const request = (status: "pending" | "approved", expiresAt: Date) => ({
      bugId: bug.id,
      requestedById: 1,
      requestedByName: "Amy",
      mode: "run" as const,
      severity: "high" as const,
      status,
      expiresAt,
    });
    const past = new Date(now.getTime() - 60_000);
    await t.db
      .insert(hotfixRequests)
      .values([request("pending", past), request("approved", past), request("pending", new Date(now.getTime() + 1))]);
    const due = lte(hotfixRequests.expiresAt, now);
    const expired = await advance(t.db, "hotfix_requests", null, ["pending"], "expired", {}, due);
    expect(expired.map((r) => r.id)).toEqual([1]);
    await expect(advance(t.db, "hotfix_requests", null, ["pending"], "expired")).rejects.toThrow("needs a condition");
  });
});

describe("upgrade: claims and rollback plans kept in kv move to their tables", () => {
  it("no pending plan or claim is lost", async () => {
    // The migrations before this change, then kv rows as the old code wrote them, then the rest.
    const before = mkdtempSync(join(tmpdir(), "nightshift-migrations-"));
    const client = new PGlite();
    try {
      cpSync(MIGRATIONS_FOLDER, before, { recursive: true });
      const journalPath = join(before, "meta", "_journal.json");
      const journal = JSON.parse(readFileSync(journalPath, "utf8"));
      const at = journal.entries.findIndex((e: { tag: string }) => e.tag === "0006_claims_and_rollback_plans");
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
      const db = drizzle(client, { schema }) as unknown as Db;
      await migrate(db as never, { migrationsFolder: before });
      const plan = {
        systemId: "crm",
        env: "prod",
        fromVersion: "2099.03.01-2",
        targetVersion: "2099.03.01-1",
        undoIds: [12, 11],
        bugIds: [4],
        services: ["web", "api"],
        status: "prepared",
        actorId: 1001,
        actorName: "Alice",
        reason: "結帳壞了",
      };
      await db.insert(kv).values([
        { key: "rollback-plan:4102444800000", value: plan, updatedAt: now },
        { key: "rollback-plan:4102444800001", value: { ...plan, status: "cancelled" }, updatedAt: now },
        { key: "watch:12", value: { startedAt: now.toISOString() }, updatedAt: now },
        { key: "rollback-of:12", value: { by: "Alice", reason: "r", owner: "pg:1" }, updatedAt: now },
        { key: "rollback-now:11", value: { by: "Alice" }, updatedAt: now },
        {
          key: "env-lock:crm:prod",
          value: { owner: "pg:2", token: "tok", holder: "回滾", since: now.toISOString() },
          updatedAt: now,
        },
        { key: "conv:-100:7", value: { state: 1 }, updatedAt: now },
      ]);

      await migrate(db as never, { migrationsFolder: MIGRATIONS_FOLDER });

      const moved = await db.select().from(claims).orderBy(claims.kind, claims.subject);
      expect(moved.map((c) => [c.kind, c.subject, c.owner])).toEqual([
        ["env-lock", "crm:prod", "pg:2"],
        ["rollback-now", "11", null],
        ["rollback-of", "12", "pg:1"],
        ["watch", "12", null],
      ]);
      expect(moved[0]!.value).toMatchObject({ token: "tok", holder: "回滾" });
      const plans = await db.select().from(rollbackPlans).orderBy(rollbackPlans.id);
      expect(plans.map((p) => [p.id, p.status])).toEqual([
        [4102444800000, "pending"],
        [4102444800001, "cancelled"],
      ]);
      expect(plans[0]).toMatchObject({
        systemId: "crm",
        env: "prod",
        fromVersion: "2099.03.01-2",
        targetVersion: "2099.03.01-1",
        undoIds: [12, 11],
        bugIds: [4],
        services: ["web", "api"],
        actorId: 1001,
        actorName: "Alice",
        reason: "結帳壞了",
      });
      // The old confirm button (its id is the plan's) still works, once; new plans get later ids.
      expect(await advance(db, "rollback_plans", 4102444800000, ["pending"], "confirmed")).toHaveLength(1);
      expect(await advance(db, "rollback_plans", 4102444800000, ["pending"], "confirmed")).toEqual([]);
      const [fresh] = await db
        .insert(rollbackPlans)
        .values({ ...plans[0]!, id: undefined, status: "pending" })
        .returning();
      expect(fresh!.id).toBeGreaterThan(4102444800001);
      expect((await db.select().from(kv)).map((r) => r.key)).toEqual(["conv:-100:7"]);
    } finally {
      await client.close();
      rmSync(before, { recursive: true, force: true });
    }
  });
});
