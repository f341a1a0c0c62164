import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { holdLiveness } from "../../src/adapters/db/liveness.js";
import { recoverInterrupted } from "../../src/app/recovery.js";
import { testConfig } from "../support/app.js";
import { postgresBackends, type TestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";

describe.each(postgresBackends())("recovery among replicas on $name", (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(() => t.close());

  it("spares a deployment whose owner is alive and interrupts it once the owner is gone", async () => {
    await t.reset();
    await seedSystem(t.db);
    const target = { kind: "postgres" as const, url: t.url! };
    const owner = await holdLiveness(target);
    const other = await holdLiveness(target);
    const [row] = await t.db
      .insert(deployments)
      .values({
        systemId: "crm",
        env: "prod",
        kind: "pipeline",
        status: "running",
        version: "2026.11.21-1",
        actorName: "system:T2",
        startedAt: new Date(),
        owner: owner.instanceId,
      })
      .returning();
    const deps = { db: t.db, config: testConfig(), clock: () => new Date(), logger: pino({ level: "silent" }) };

    expect(await recoverInterrupted({ ...deps, liveness: other })).toEqual([]);
    const [still] = await t.db.select().from(deployments).where(eq(deployments.id, row!.id));
    expect(still?.status).toBe("running");

    await owner.close(); // the owner's connection (and its lock) is gone, as after kill -9
    const recovered = await recoverInterrupted({ ...deps, liveness: other });
    expect(recovered.map((d) => [d.id, d.status])).toEqual([[row!.id, "interrupted"]]);
    expect(await recoverInterrupted({ ...deps, liveness: other })).toEqual([]);
    await other.close();
  });
});

if (postgresBackends().length === 0) it.skip("needs real Postgres: set TEST_DATABASE_URL (CI does)", () => {});
