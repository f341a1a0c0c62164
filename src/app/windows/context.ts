// What the pieces of one window share: the deps, the run, and the small helpers every phase uses.
// Imported by the phases and the release step; imports none of them (no cycles).

import type { Logger } from "pino";
import type { windowRuns } from "../../../drizzle/schema.js";
import type { SystemConfig } from "../../config.js";
import type { StoredFreeze } from "../../core/freeze.js";
import type { Actor, BugEvent, Slot } from "../../core/model.js";
import { applyEventManyIn, type BugRow } from "../bugs.js";
import type { CommitStatusPort } from "../checklist.js";
import type { Queryable } from "../db.js";
import type { DeployDeps, DeploymentRow } from "../deploy-release.js";
import type { Analyzer, Calendar, Metrics } from "../ports.js";
import { nextWindow } from "../schedule.js";

export interface WindowDeps extends DeployDeps {
  /** T1's analysis of confirmed bugs (an analyzer answering null when none is configured). */
  analyzer: Analyzer;
  /** What the calendar says about a date: the freeze rules (holidays, Lunar New Year) read it. */
  calendarFacts: Calendar;
  /** Prometheus readings for the post-deploy watch. */
  metrics: Metrics;
  /** Waits between checks while another window of the system runs (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** The checklist's "all tests passing" item from the code host (GitHub), when the system links one. */
  commitStatus?: CommitStatusPort;
  /** Post-deploy watch (incidents): awaited after each successful window deploy. */
  afterDeploy?: (deployment: DeploymentRow) => Promise<void>;
}

export type WindowRunRow = typeof windowRuns.$inferSelect;
export type Trigger = "schedule" | "catch_up" | "manual";

export interface Outcome {
  status: "done" | "skipped" | "failed";
  summary: string;
}

export interface WindowContext {
  deps: WindowDeps;
  system: SystemConfig;
  run: WindowRunRow;
  slot: Slot;
  chatId: number;
  actor: Actor;
  log: Logger;
  /** Stored freezes as of the window's start: the next T2 a message names skips what they freeze. */
  stored: StoredFreeze[];
  /** Successful deployments to watch once the window itself is done. */
  deployed: DeploymentRow[];
}

export const MINUTE = 60_000;
export const SLOT_ACTOR: Record<Slot, Actor> = {
  t1: { kind: "system", name: "T1" },
  t2: { kind: "system", name: "T2" },
};

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The T2 after `after` for these bugs: the same rule as the approval reply (app/schedule.ts), so
 * a message and the reply agree. Bugs of one module honour its freezes; a mix, whole-system ones.
 */
export async function nextT2(ctx: WindowContext, after: Date, bugs: readonly Pick<BugRow, "module">[]): Promise<Date> {
  const modules = new Set(bugs.map((b) => b.module));
  const module = modules.size === 1 ? [...modules][0]! : null;
  const next =
    (await nextWindow(ctx.deps, ctx.system, "t2", after, { module, stored: ctx.stored })) ??
    // Frozen for the whole look-ahead: the scheduled T2 (it will be skipped, and say so).
    (await nextWindow(ctx.deps, ctx.system, "t2", after, { freezes: "ignore" }));
  return next!.at;
}

/** Moves the bugs in the caller's transaction, set-based (a 10,000-bug window is a few statements). */
export async function applyAll(tx: Queryable, ctx: WindowContext, bugs: BugRow[], event: BugEvent): Promise<BugRow[]> {
  const results = await applyEventManyIn(tx, { bugs, event, actor: ctx.actor, now: ctx.deps.clock() });
  const applied: BugRow[] = [];
  results.forEach((r, i) => {
    if (r.kind === "applied") applied.push(r.bug);
    else ctx.log.warn({ bugId: bugs[i]!.id, result: r.kind }, `${event.type} not applied`);
  });
  return applied;
}

export const ids = (bugs: readonly { id: number }[]) => bugs.map((b) => `#${b.id}`).join(" ");
