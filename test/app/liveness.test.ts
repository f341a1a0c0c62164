import { eq } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { deployments, outbox } from "../../drizzle/schema.js";
import { holdLiveness } from "../../src/adapters/db/liveness.js";
import { createDispatcher } from "../../src/adapters/notify/dispatcher.js";
import { messages } from "../../src/app/messages.js";
import { enqueue } from "../../src/app/outbox.js";
import { recoverInterrupted, releaseDeadClaims } from "../../src/app/recovery.js";
import { testConfig } from "../support/app.js";
import { postgresBackends, useTestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";

describe.each(postgresBackends())("recovery among replicas on $name", (backend) => {
  const t = useTestDatabase(backend);

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
        version: "2099.11.21-1",
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

  it("hands back at once the outbox rows a dead process had claimed, not a live one's", async () => {
    await t.reset();
    const target = { kind: "postgres" as const, url: t.url! };
    const [dead, live, other] = await Promise.all([holdLiveness(target), holdLiveness(target), holdLiveness(target)]);
    const clock = () => new Date();
    const claimer = (owner: string) =>
      createDispatcher({
        db: t.db,
        clock,
        logger: pino({ level: "silent" }),
        owner,
        send: () => new Promise(() => {}),
      });
    // each claims its row and hangs in send (the row stays leased for 60 s)
    await enqueue(t.db, messages(1, "to chat 1"), new Date());
    void claimer(dead.instanceId).step();
    await until(async () => (await t.db.select().from(outbox).orderBy(outbox.id))[0]?.claimedBy === dead.instanceId);
    await enqueue(t.db, messages(2, "to chat 2"), new Date());
    void claimer(live.instanceId).step();
    await until(async () => (await t.db.select().from(outbox).orderBy(outbox.id))[1]?.claimedBy === live.instanceId);

    await dead.close(); // as after kill -9
    expect(await releaseDeadClaims({ db: t.db, clock, liveness: other })).toBe(1);
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => [r.chatId, r.claimedBy, r.nextAttemptAt <= clock()])).toEqual([
      [1, null, true],
      [2, live.instanceId, false],
    ]);
    await Promise.all([live.close(), other.close()]);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i > 100) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

if (postgresBackends().length === 0) it.skip("needs real Postgres: set TEST_DATABASE_URL (CI does)", () => {});
