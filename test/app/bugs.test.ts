import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, bugs, outbox } from "../../drizzle/schema.js";
import { htmlMessage } from "../../src/adapters/telegram/drafts.js";
import { applyEvent, applyEventManyIn, bugHistory, countByStatus, listBugs } from "../../src/app/bugs.js";
import { postgresBackends, testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, ADMIN2, drive, GROUP, MEMBER, reportOne, seedSystem, T1 } from "../support/fixtures.js";

const now = new Date("2099-11-21T12:00:00Z");

describe.each(testBackends())("bug use cases on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
  });

  it("reports a bug as submitted with one audit row", async () => {
    const bug = await reportOne(t.db);
    expect(bug.status).toBe("submitted");
    const history = await bugHistory(t.db, bug.id);
    expect(history.map((e) => [e.fromStatus, e.event, e.toStatus])).toEqual([[null, "report", "submitted"]]);
  });

  it("applies an event with its audit row and outbox rows in one transaction", async () => {
    const bug = await reportOne(t.db);
    const result = await applyEvent(t.db, {
      bugId: bug.id,
      event: { type: "confirm", severity: "medium", flow: "flow1" },
      actor: ADMIN,
      now,
      notify: (b) => [htmlMessage(GROUP, `#${b.id} confirmed`)],
    });
    expect(result.kind).toBe("applied");
    if (result.kind !== "applied") return;
    expect(result.bug).toMatchObject({ status: "confirmed", severity: "medium", fixFlow: "flow1", rowVersion: 2 });
    const events = await bugHistory(t.db, bug.id);
    expect(events.at(-1)).toMatchObject({
      fromStatus: "submitted",
      toStatus: "confirmed",
      actorId: ADMIN.kind === "user" ? ADMIN.id : 0,
    });
    const messages = await t.db.select().from(outbox);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.payload).toMatchObject({ text: `#${bug.id} confirmed`, parse_mode: "HTML" });
  });

  it("refuses a non-admin and writes nothing", async () => {
    const bug = await reportOne(t.db);
    const result = await applyEvent(t.db, {
      bugId: bug.id,
      event: { type: "confirm", severity: "low", flow: "flow1" },
      actor: MEMBER,
      now,
    });
    expect(result).toMatchObject({ kind: "refused", reason: "not_admin" });
    expect(await bugHistory(t.db, bug.id)).toHaveLength(1);
  });

  it("issue 15: mayAct decides on the bug as the transaction reads it; refused → forbidden, nothing written", async () => {
    const bug = await reportOne(t.db);
    const input = { event: { type: "confirm", severity: "low", flow: "flow1" }, actor: ADMIN, now } as const;
    const seen: (string | null)[] = [];
    const mayAct = (b: { systemId: string } | null) => {
      seen.push(b?.systemId ?? null);
      return b?.systemId === "other";
    };
    expect(await applyEvent(t.db, { ...input, bugId: bug.id, mayAct })).toEqual({ kind: "forbidden", bug: null });
    expect(await applyEvent(t.db, { ...input, bugId: 999, mayAct })).toEqual({ kind: "forbidden", bug: null });
    expect(seen).toEqual([bug.systemId, null]);
    expect(await bugHistory(t.db, bug.id)).toHaveLength(1);
    const allowed = await applyEvent(t.db, { ...input, bugId: bug.id, mayAct: (b) => b?.id === bug.id });
    expect(allowed.kind).toBe("applied");
  });

  it("answers already handled for a stale row version and for a lost race", async () => {
    const bug = await reportOne(t.db);
    const first = await applyEvent(t.db, {
      bugId: bug.id,
      event: { type: "reject", reason: "dup" },
      actor: ADMIN,
      now,
      expectedRowVersion: 1,
    });
    expect(first.kind).toBe("applied");
    const second = await applyEvent(t.db, {
      bugId: bug.id,
      event: { type: "reject", reason: "dup" },
      actor: ADMIN2,
      now,
      expectedRowVersion: 1,
    });
    expect(second.kind).toBe("already_handled");
    expect(await bugHistory(t.db, bug.id)).toHaveLength(2);
  });

  it("a transaction that fails after the UPDATE leaves no audit row and no outbox row", async () => {
    const bug = await reportOne(t.db);
    await expect(
      applyEvent(t.db, {
        bugId: bug.id,
        event: { type: "confirm", severity: "low", flow: "flow2" },
        actor: ADMIN,
        now,
        notify: () => {
          throw new Error("renderer exploded");
        },
      }),
    ).rejects.toThrow("renderer exploded");
    const [row] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(row).toMatchObject({ status: "submitted", rowVersion: 1 });
    expect(await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, bug.id))).toHaveLength(1);
    expect(await t.db.select().from(outbox)).toHaveLength(0);
  });

  it("lists newest first by status and counts per status", async () => {
    const a = await reportOne(t.db, { title: "a" });
    await reportOne(t.db, { title: "b" });
    await drive(t.db, a, [[{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN]], now);
    expect((await listBugs(t.db, { systemId: "crm" })).map((b) => b.title)).toEqual(["b", "a"]);
    expect((await listBugs(t.db, { statuses: ["confirmed"] })).map((b) => b.title)).toEqual(["a"]);
    expect(await countByStatus(t.db, "crm")).toEqual({ submitted: 1, confirmed: 1 });
  });

  it("refuses window events for a held bug", async () => {
    const bug = await reportOne(t.db);
    await drive(t.db, bug, [[{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN]], now);
    await t.db.update(bugs).set({ held: true }).where(eq(bugs.id, bug.id));
    const result = await applyEvent(t.db, { bugId: bug.id, event: { type: "start_analysis" }, actor: T1, now });
    expect(result).toMatchObject({ kind: "refused", reason: "held" });
  });

  it("applies one event to many bugs set-based, with the results and audit rows of one-by-one", async () => {
    const toPlanned = (flow: "flow1" | "flow2"): Parameters<typeof drive>[2] => [
      [{ type: "confirm", severity: "low", flow }, ADMIN],
      [{ type: "start_analysis" }, T1],
      [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
    ];
    const flow2 = await drive(t.db, await reportOne(t.db, { title: "flow2" }), toPlanned("flow2"), now);
    const flow1 = await drive(t.db, await reportOne(t.db, { title: "flow1" }), toPlanned("flow1"), now);
    const moved = await drive(t.db, await reportOne(t.db, { title: "moved" }), toPlanned("flow2"), now);
    const stale = { ...moved }; // the window read it, then someone else moved it on
    await drive(t.db, moved, [[{ type: "close", reason: "dup" }, ADMIN]], now);
    const many = await t.db.transaction((tx) =>
      applyEventManyIn(tx, {
        bugs: [flow2, flow1, stale, { ...flow2, id: 999 }],
        event: { type: "queue_prod" },
        actor: T1,
        now,
      }),
    );
    expect(many.map((r) => [r.kind, r.bug?.status ?? null])).toEqual([
      ["applied", "pending_prod"],
      ["refused", "planned"],
      ["already_handled", "closed"],
      ["already_handled", null],
    ]);
    expect(many[0]).toMatchObject({ bug: { rowVersion: flow2.rowVersion + 1 }, before: { status: "planned" } });
    expect((await bugHistory(t.db, flow2.id)).at(-1)).toMatchObject({
      fromStatus: "planned",
      toStatus: "pending_prod",
      event: "queue_prod",
      actorId: null,
      actorName: "system:T1",
      at: now,
    });
    expect(await bugHistory(t.db, flow1.id)).toHaveLength(4);
  });
});

describe.each(postgresBackends())("concurrent approvals on $name", (backend) => {
  const t = useTestDatabase(backend);

  it("100 concurrent approvals of one bug → exactly one transition, one audit row, one outbox row", async () => {
    await t.reset();
    await seedSystem(t.db);
    const bug = await reportOne(t.db);
    const planned = await drive(
      t.db,
      bug,
      [
        [{ type: "confirm", severity: "medium", flow: "flow1" }, ADMIN],
        [{ type: "start_analysis" }, T1],
        [{ type: "record_analysis", rootCause: "x", fixPlan: "y", failed: false }, T1],
        [{ type: "deploy_uat_ok", releaseId: 1 }, T1],
      ],
      now,
    );
    expect(planned.status).toBe("deployed_uat");
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        applyEvent(t.db, {
          bugId: bug.id,
          event: { type: "approve_prod" },
          actor: { kind: "user", id: 5000 + i, name: `admin${i}`, isAdmin: true },
          now,
          notify: (b) => [htmlMessage(GROUP, `#${b.id} approved`)],
        }),
      ),
    );
    const kinds = results.map((r) => r.kind);
    expect(kinds.filter((k) => k === "applied")).toHaveLength(1);
    expect(kinds.filter((k) => k === "already_handled")).toHaveLength(99);
    const approvals = (await bugHistory(t.db, bug.id)).filter((e) => e.event === "approve_prod");
    expect(approvals).toHaveLength(1);
    expect(await t.db.select().from(outbox)).toHaveLength(1);
  });
});
