import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayMergeBackToUat, ROLLBACK_TARGETS, TRANSITIONS, transition } from "../../src/core/machine.js";
import {
  type Actor,
  BUG_EVENT_TYPES,
  type BugEvent,
  type BugEventType,
  type BugState,
  FIX_FLOWS,
  isTerminal,
  type PipelineFlow,
  SEVERITIES,
  STATUSES,
  type Status,
} from "../../src/core/model.js";

const admin: Actor = { kind: "user", id: 1, name: "Amy", isAdmin: true };
const admin2: Actor = { kind: "user", id: 2, name: "Ben", isAdmin: true };
const member: Actor = { kind: "user", id: 3, name: "Cat", isAdmin: false };
const system: Actor = { kind: "system", name: "T1" };
const ACTORS = { admin, member, system } as const;

type Who = "admin" | "system" | "either";
/** The DESIGN.md table written out independently of machine.ts: event → who, from → to. */
const EXPECTED: Record<BugEventType, { who: Who; from: Partial<Record<Status, Status>> }> = {
  confirm: { who: "admin", from: { submitted: "confirmed" } },
  reject: { who: "admin", from: { submitted: "rejected" } },
  hotfix: { who: "admin", from: { submitted: "deployed_prod" } },
  start_analysis: { who: "system", from: { confirmed: "analyzing" } },
  record_analysis: { who: "system", from: { analyzing: "planned" } },
  deploy_uat_ok: { who: "system", from: { planned: "deployed_uat" } },
  queue_prod: { who: "system", from: { planned: "pending_prod" } },
  approve_prod: { who: "admin", from: { deployed_uat: "pending_prod" } },
  deploy_prod_ok: { who: "system", from: { pending_prod: "deployed_prod" } },
  approve_uat_merge: { who: "admin", from: { deployed_prod: "pending_uat_merge" } },
  uat_merge_ok: { who: "system", from: { pending_uat_merge: "uat_merged" } },
  close: {
    who: "admin",
    from: {
      submitted: "closed",
      confirmed: "closed",
      analyzing: "closed",
      planned: "closed",
      deployed_uat: "closed",
      pending_prod: "closed",
      deployed_prod: "closed", // only while not terminal (flow2 / hotfix); see below
      pending_uat_merge: "closed",
    },
  },
  rollback: {
    who: "either",
    from: {
      deployed_uat: "planned",
      pending_prod: "planned",
      deployed_prod: "pending_prod",
      pending_uat_merge: "pending_prod",
      uat_merged: "pending_uat_merge",
    },
  },
  version_hold: { who: "system", from: { planned: "planned" } },
  requeue: {
    who: "admin",
    from: {
      confirmed: "confirmed",
      planned: "planned",
      deployed_uat: "deployed_uat",
      pending_prod: "pending_prod",
      deployed_prod: "deployed_prod",
      pending_uat_merge: "pending_uat_merge",
    },
  },
};

function eventFor(type: BugEventType, status: Status): BugEvent {
  switch (type) {
    case "confirm":
      return { type, severity: "medium", flow: "flow1" };
    case "reject":
    case "close":
      return { type, reason: "dup" };
    case "hotfix":
      return { type, severity: "high", diff: "--- a\n+++ b" };
    case "record_analysis":
      return { type, rootCause: "npe", fixPlan: "guard", failed: false };
    case "deploy_uat_ok":
    case "deploy_prod_ok":
    case "uat_merge_ok":
      return { type, releaseId: 7 };
    case "rollback":
      return { type, releaseId: 7, toStatus: EXPECTED.rollback.from[status] ?? "submitted" };
    case "version_hold":
      return { type, uat: "1.4.0", prod: "1.3.0" };
    default:
      return { type } as BugEvent;
  }
}

type Outcome = { ok: true; to: Status } | { ok: false; reason: string };

function expectedOutcome(status: Status, type: BugEventType, actor: Actor, flow: PipelineFlow): Outcome {
  const { who, from } = EXPECTED[type];
  const isAdmin = actor.kind === "user" && actor.isAdmin;
  if (who === "admin" && !isAdmin) return { ok: false, reason: "not_admin" };
  if (who === "system" && actor.kind !== "system") return { ok: false, reason: "not_system" };
  if (who === "either" && !isAdmin && actor.kind !== "system") return { ok: false, reason: "not_admin" };
  const to = from[status];
  if (!to || (type === "close" && status === "deployed_prod" && flow === "flow1")) {
    return { ok: false, reason: "wrong_status" };
  }
  if (type === "deploy_uat_ok" && flow !== "flow1") return { ok: false, reason: "wrong_flow" };
  if (type === "queue_prod" && flow !== "flow2") return { ok: false, reason: "wrong_flow" };
  if (type === "approve_uat_merge" && flow !== "flow2") return { ok: false, reason: "wrong_flow" };
  if (type === "version_hold" && flow !== "flow1") return { ok: false, reason: "wrong_flow" };
  if (type === "requeue") return { ok: false, reason: "not_held" };
  return { ok: true, to };
}

const bug = (status: Status, over: Partial<BugState> = {}): BugState => ({
  status,
  severity: "medium",
  fixFlow: "flow1",
  held: false,
  ...over,
});

describe("transition table: every status × event × actor", () => {
  const rows = STATUSES.flatMap((status) =>
    BUG_EVENT_TYPES.flatMap((type) =>
      (["flow1", "flow2"] as const).flatMap((flow) =>
        (Object.keys(ACTORS) as (keyof typeof ACTORS)[]).map((who) => ({ status, type, flow, who })),
      ),
    ),
  );

  it("covers all 11 × 14 × 2 × 3 combinations", () => {
    expect(rows).toHaveLength(STATUSES.length * BUG_EVENT_TYPES.length * 2 * 3);
  });

  it.each(rows)("$status + $type by $who ($flow)", ({ status, type, flow, who }) => {
    const actor = ACTORS[who];
    const result = transition(bug(status, { fixFlow: flow }), eventFor(type, status), actor);
    const want = expectedOutcome(status, type, actor, flow);
    if (want.ok) {
      expect(result).toMatchObject({ ok: true, from: status, to: want.to });
    } else {
      expect(result).toMatchObject({ ok: false, reason: want.reason });
    }
  });

  it("the expectation table agrees with TRANSITIONS and ROLLBACK_TARGETS", () => {
    for (const type of BUG_EVENT_TYPES) {
      const rule = TRANSITIONS[type];
      const froms = Object.keys(EXPECTED[type].from).sort();
      if (rule.from !== "non_terminal") expect([...rule.from].sort()).toEqual(froms);
    }
    for (const [from, to] of Object.entries(EXPECTED.rollback.from)) {
      expect(ROLLBACK_TARGETS[from as Status]).toContain(to);
    }
  });
});

describe("refusals and guards", () => {
  it("confirm refuses high/critical (severity_not_eligible) and sets severity, flow, clears held", () => {
    for (const severity of ["high", "critical"] as const) {
      expect(transition(bug("submitted"), { type: "confirm", severity, flow: "flow1" }, admin)).toMatchObject({
        ok: false,
        reason: "severity_not_eligible",
      });
    }
    const r = transition(bug("submitted", { held: true }), { type: "confirm", severity: "low", flow: "flow2" }, admin);
    expect(r).toMatchObject({ ok: true, to: "confirmed", held: false, patch: { severity: "low", fixFlow: "flow2" } });
  });

  it("hotfix is for high/critical only", () => {
    expect(transition(bug("submitted"), { type: "hotfix", severity: "low", diff: "" }, admin)).toMatchObject({
      ok: false,
      reason: "severity_not_eligible",
    });
    expect(transition(bug("submitted"), { type: "hotfix", severity: "critical", diff: "d" }, admin)).toMatchObject({
      ok: true,
      to: "deployed_prod",
      patch: { fixFlow: "hotfix", aiFixDiff: "d", severity: "critical" },
    });
  });

  it("hotfix during a freeze needs a second, different admin", () => {
    const ev: BugEvent = { type: "hotfix", severity: "high", diff: "d" };
    const freeze = { reason: "國定假日：中秋節" };
    expect(transition(bug("submitted"), ev, admin, { freeze })).toMatchObject({
      ok: false,
      reason: "needs_second_admin",
    });
    expect(transition(bug("submitted"), ev, admin, { freeze, secondApproverId: admin.id })).toMatchObject({
      ok: false,
      reason: "needs_second_admin",
    });
    expect(transition(bug("submitted"), ev, admin, { freeze, secondApproverId: admin2.id })).toMatchObject({
      ok: true,
      to: "deployed_prod",
    });
  });

  it("window events refuse held bugs, frozen bugs and high severity", () => {
    const cases: [Status, BugEvent, PipelineFlow][] = [
      ["confirmed", { type: "start_analysis" }, "flow1"],
      ["planned", { type: "deploy_uat_ok", releaseId: 1 }, "flow1"],
      ["planned", { type: "queue_prod" }, "flow2"],
      ["pending_prod", { type: "deploy_prod_ok", releaseId: 1 }, "flow1"],
      ["pending_uat_merge", { type: "uat_merge_ok", releaseId: 1 }, "flow2"],
    ];
    for (const [status, ev, flow] of cases) {
      expect(transition(bug(status, { fixFlow: flow, held: true }), ev, system)).toMatchObject({ reason: "held" });
      expect(transition(bug(status, { fixFlow: flow }), ev, system, { freeze: { reason: "x" } })).toMatchObject({
        reason: "frozen",
      });
      expect(transition(bug(status, { fixFlow: flow, severity: "high" }), ev, system)).toMatchObject({
        reason: "severity_not_eligible",
      });
      expect(transition(bug(status, { fixFlow: flow }), ev, system)).toMatchObject({ ok: true });
    }
  });

  it("a high/critical hotfix queued for the UAT merge is merged at T2 (the one window event it takes part in)", () => {
    const ev: BugEvent = { type: "uat_merge_ok", releaseId: 1 };
    expect(transition(bug("pending_uat_merge", { fixFlow: "hotfix", severity: "critical" }), ev, system)).toMatchObject(
      {
        ok: true,
        to: "uat_merged",
      },
    );
  });

  it("admin actions are not blocked by a freeze", () => {
    expect(transition(bug("deployed_uat"), { type: "approve_prod" }, admin, { freeze: { reason: "x" } })).toMatchObject(
      { ok: true, to: "pending_prod" },
    );
  });

  it("a UAT merge follows flow2, or a hotfix made while UAT was ahead", () => {
    const ev: BugEvent = { type: "approve_uat_merge" };
    expect(transition(bug("deployed_prod", { fixFlow: "hotfix", uatAhead: true }), ev, admin)).toMatchObject({
      ok: true,
      to: "pending_uat_merge",
    });
    expect(transition(bug("deployed_prod", { fixFlow: "hotfix", uatAhead: false }), ev, admin)).toMatchObject({
      reason: "wrong_flow",
    });
    expect(transition(bug("deployed_prod", { fixFlow: "flow1" }), ev, admin)).toMatchObject({ reason: "wrong_flow" });
  });

  it("record_analysis notes a failed analysis", () => {
    const r = transition(
      bug("analyzing"),
      { type: "record_analysis", rootCause: null, fixPlan: null, failed: true },
      system,
    );
    expect(r).toMatchObject({ ok: true, to: "planned", note: "analysis failed", patch: { analysisFailed: true } });
  });

  it("rollback holds the bug, only to an allowed target; requeue releases it", () => {
    const rb = (status: Status, toStatus: Status, actor: Actor = admin) =>
      transition(bug(status, { fixFlow: "flow2" }), { type: "rollback", releaseId: 3, toStatus }, actor);
    expect(rb("deployed_prod", "pending_prod", { kind: "system", name: "auto-rollback" })).toMatchObject({
      ok: true,
      to: "pending_prod",
      held: true,
    });
    expect(rb("deployed_prod", "submitted")).toMatchObject({ ok: true, to: "submitted", held: true });
    expect(rb("deployed_uat", "confirmed")).toMatchObject({ ok: false, reason: "invalid" });
    expect(rb("deployed_uat", "planned", member)).toMatchObject({ ok: false, reason: "not_admin" });
    expect(transition(bug("planned", { held: true }), { type: "requeue" }, admin)).toMatchObject({
      ok: true,
      to: "planned",
      held: false,
    });
    expect(transition(bug("planned", { held: true }), { type: "requeue" }, member)).toMatchObject({
      reason: "not_admin",
    });
  });

  it("close and reject carry the reason as note", () => {
    expect(transition(bug("pending_prod"), { type: "close", reason: "dup" }, admin)).toMatchObject({
      to: "closed",
      note: "dup",
    });
    expect(transition(bug("submitted"), { type: "reject", reason: "not a bug" }, admin)).toMatchObject({
      to: "rejected",
      note: "not a bug",
    });
  });
});

describe("property: random event sequences stay inside the table", () => {
  const status = fc.constantFrom(...STATUSES);
  const severity = fc.constantFrom(...SEVERITIES);
  const flow = fc.constantFrom("flow1" as const, "flow2" as const);
  const ending = fc.oneof(
    fc.record({ type: fc.constant("reject" as const), reason: fc.string() }),
    fc.record({ type: fc.constant("hotfix" as const), severity, diff: fc.string() }),
    fc.record({ type: fc.constant("close" as const), reason: fc.string() }),
  );
  const progress = fc.oneof(
    fc.record({ type: fc.constant("confirm" as const), severity, flow }),
    fc.constant({ type: "start_analysis" as const }),
    fc.record({
      type: fc.constant("record_analysis" as const),
      rootCause: fc.option(fc.string()),
      fixPlan: fc.option(fc.string()),
      failed: fc.boolean(),
    }),
    fc.record({ type: fc.constant("deploy_uat_ok" as const), releaseId: fc.nat() }),
    fc.constant({ type: "queue_prod" as const }),
    fc.constant({ type: "approve_prod" as const }),
    fc.record({ type: fc.constant("deploy_prod_ok" as const), releaseId: fc.nat() }),
    fc.constant({ type: "approve_uat_merge" as const }),
    fc.record({ type: fc.constant("uat_merge_ok" as const), releaseId: fc.nat() }),
    fc.record({ type: fc.constant("rollback" as const), releaseId: fc.nat(), toStatus: status }),
    fc.record({ type: fc.constant("version_hold" as const), uat: fc.string(), prod: fc.string() }),
    fc.constant({ type: "requeue" as const }),
  );
  // Ending events are rarer so that sequences get deep into both flows.
  const event: fc.Arbitrary<BugEvent> = fc.oneof({ arbitrary: progress, weight: 25 }, { arbitrary: ending, weight: 1 });
  const actor: fc.Arbitrary<Actor> = fc.oneof(
    fc.record({
      kind: fc.constant("user" as const),
      id: fc.integer({ min: 1, max: 3 }),
      name: fc.constant("u"),
      isAdmin: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("system" as const),
      name: fc.constantFrom("T1" as const, "T2" as const, "auto-rollback" as const),
    }),
  );
  const ctx = fc.record({
    freeze: fc.option(fc.record({ reason: fc.string() }), { freq: 2 }),
    secondApproverId: fc.option(fc.integer({ min: 1, max: 3 })),
  });
  const step = fc.tuple(event, actor, ctx);

  it("never produces a (from, event, to) outside TRANSITIONS / ROLLBACK_TARGETS", () => {
    const reached = new Set<Status>();
    fc.assert(
      fc.property(fc.boolean(), fc.array(step, { minLength: 100, maxLength: 400 }), (uatAhead, steps) => {
        let state: BugState = { status: "submitted", severity: null, fixFlow: null, held: false, uatAhead };
        for (const [ev, who, c] of steps) {
          const before = state;
          const r = transition(before, ev, who, c);
          if (!r.ok) continue;
          const rule = TRANSITIONS[ev.type];
          expect(r.from).toBe(before.status);
          expect(STATUSES).toContain(r.to);
          if (rule.from === "non_terminal") expect(isTerminal(before)).toBe(false);
          else expect(rule.from).toContain(before.status);
          if (rule.to === "same") expect(r.to).toBe(before.status);
          else if (rule.to === "rollback_target") expect(ROLLBACK_TARGETS[before.status]).toContain(r.to);
          else expect(r.to).toBe(rule.to);
          if (before.status === "closed" || before.status === "rejected") throw new Error("closed/rejected changed");
          if (isTerminal(before)) expect(ev.type).toBe("rollback");
          state = {
            ...before,
            status: r.to,
            held: r.held,
            severity: r.patch.severity ?? before.severity,
            fixFlow: r.patch.fixFlow ?? before.fixFlow,
          };
          expect(FIX_FLOWS.includes(state.fixFlow ?? "flow1")).toBe(true);
          reached.add(state.status);
        }
      }),
      { numRuns: 500 },
    );
    // The sequences are long enough to walk both flows to the end, so the property is not vacuous.
    expect([...reached].sort()).toEqual([...STATUSES].sort());
  });
});

describe("mayMergeBackToUat: the one merge-back rule", () => {
  it("flow2 always, a hotfix only when UAT was ahead, never flow1", () => {
    expect(mayMergeBackToUat({ fixFlow: "flow2" })).toBe(true);
    expect(mayMergeBackToUat({ fixFlow: "hotfix", uatAhead: true })).toBe(true);
    expect(mayMergeBackToUat({ fixFlow: "hotfix", uatAhead: false })).toBe(false);
    expect(mayMergeBackToUat({ fixFlow: "hotfix", uatAhead: null })).toBe(false);
    expect(mayMergeBackToUat({ fixFlow: "flow1", uatAhead: true })).toBe(false);
    expect(mayMergeBackToUat({ fixFlow: null })).toBe(false);
  });

  it("agrees with approve_uat_merge for every flow", () => {
    for (const fixFlow of FIX_FLOWS)
      for (const uatAhead of [true, false]) {
        const r = transition(bug("deployed_prod", { fixFlow, uatAhead }), { type: "approve_uat_merge" }, admin);
        expect(r.ok).toBe(mayMergeBackToUat({ fixFlow, uatAhead }));
      }
  });
});
