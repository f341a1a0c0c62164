import { describe, expect, it } from "vitest";
import { deployments, hotfixRequests, rollbackPlans } from "../../drizzle/schema.js";
import {
  assertMoves,
  canMove,
  DEPLOYMENT_LIFECYCLE,
  HOTFIX_REQUEST_LIFECYCLE,
  isFinal,
  type Lifecycle,
  movesInto,
  ROLLBACK_PLAN_LIFECYCLE,
  WINDOW_RUN_LIFECYCLE,
} from "../../src/core/lifecycles.js";

/** The lifecycles written out independently of lifecycles.ts: every allowed from → to, nothing else. */
const EXPECTED: [Lifecycle<string>, Record<string, string[]>, string[]][] = [
  [
    DEPLOYMENT_LIFECYCLE as Lifecycle<string>,
    {
      running: ["succeeded", "failed", "timed_out", "interrupted"],
      succeeded: ["rolled_back"],
      failed: [],
      timed_out: [],
      interrupted: [],
      rolled_back: [],
    },
    ["failed", "timed_out", "interrupted", "rolled_back"],
  ],
  [
    WINDOW_RUN_LIFECYCLE as Lifecycle<string>,
    {
      running: ["done", "skipped", "failed"],
      failed: ["done", "skipped", "failed"],
      done: [],
      skipped: [],
      missed: [],
    },
    ["done", "skipped", "missed"],
  ],
  [
    HOTFIX_REQUEST_LIFECYCLE as Lifecycle<string>,
    { pending: ["approved", "expired"], approved: ["done", "failed"], expired: [], done: [], failed: [] },
    ["expired", "done", "failed"],
  ],
  [
    ROLLBACK_PLAN_LIFECYCLE as Lifecycle<string>,
    { pending: ["confirmed", "cancelled"], confirmed: ["done", "failed"], cancelled: [], done: [], failed: [] },
    ["cancelled", "done", "failed"],
  ],
];

describe.each(EXPECTED)("lifecycle %#: every from × to", (lifecycle, expected, terminal) => {
  const pairs = lifecycle.statuses.flatMap((from) => lifecycle.statuses.map((to) => ({ from, to })));

  it("lists exactly the expected statuses", () => {
    expect([...lifecycle.statuses].sort()).toEqual(Object.keys(expected).sort());
    for (const s of lifecycle.initial) expect(lifecycle.statuses).toContain(s);
  });

  it.each(pairs)(`${lifecycle.name}: $from → $to`, ({ from, to }) => {
    const allowed = expected[from]!.includes(to);
    expect(canMove(lifecycle, from, to)).toBe(allowed);
    if (allowed) expect(() => assertMoves(lifecycle, [from], to)).not.toThrow();
    else expect(() => assertMoves(lifecycle, [from], to)).toThrow(`${from} → ${to} is not an allowed move`);
  });

  it("terminal statuses are exactly those with no move out", () => {
    expect(lifecycle.statuses.filter((s) => isFinal(lifecycle, s)).sort()).toEqual([...terminal].sort());
  });

  it("movesInto lists every status that may move into each", () => {
    for (const to of lifecycle.statuses)
      expect(movesInto(lifecycle, to).sort()).toEqual(
        Object.keys(expected)
          .filter((f) => expected[f]!.includes(to))
          .sort(),
      );
  });
});

describe("the tables agree with the database's status columns", () => {
  it("deployments, hotfix requests and rollback plans use the same statuses", () => {
    expect([...DEPLOYMENT_LIFECYCLE.statuses].sort()).toEqual([...deployments.status.enumValues].sort());
    expect([...HOTFIX_REQUEST_LIFECYCLE.statuses].sort()).toEqual([...hotfixRequests.status.enumValues].sort());
    expect([...ROLLBACK_PLAN_LIFECYCLE.statuses].sort()).toEqual([...rollbackPlans.status.enumValues].sort());
  });

  it("a move needs at least one from status", () => {
    expect(() => assertMoves(ROLLBACK_PLAN_LIFECYCLE, [], "done")).toThrow("at least one");
  });
});
