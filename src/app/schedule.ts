// When the next T1/T2 of a system runs, skipping the days a freeze blocks; the last window's outcome.
// `nextWindow` here is the only caller of core's window math for "the next window": the approval
// reply, the window messages, the reminder, /status and /freeze all ask it, so they agree.
import { desc, eq } from "drizzle-orm";
import { systems, windowRuns } from "../../drizzle/schema.js";
import type { Config, SystemConfig } from "../config.js";
import type { StoredFreeze } from "../core/freeze.js";
import type { Slot } from "../core/model.js";
import { skipDays } from "../core/skip-days.js";
import { nextWindow as nextWindowAt, type WindowResult } from "../core/windows.js";
import { freezeReasonText } from "../i18n/index.js";
import type { Queryable } from "./db.js";
import { activeStoredFreezes } from "./freeze-state.js";
import type { Calendar } from "./ports.js";
import { systemRegistry } from "./systems.js";

/** The freeze inputs from configuration (env and calendar rules); stored freezes come from the database. */
export type FreezeConfig = Pick<Config, "freeze" | "systems">;

export type SystemRow = typeof systems.$inferSelect;

/**
 * What the window math needs. Without `config` and `calendarFacts` (a use case called without the
 * freeze inputs) the systems table gives the times and no day is skipped.
 */
export interface ScheduleDeps {
  db: Queryable;
  config?: FreezeConfig;
  calendarFacts?: Calendar;
}

export interface NextWindowOptions {
  /** The bug's module: its module freezes skip a day too. Absent/null: only whole-system freezes. */
  module?: string | null;
  /** Stored freezes already read (a window reads them once, at its start); else read now. */
  stored?: StoredFreeze[];
  /** "ignore": the next scheduled window whatever the freezes (what a new freeze would block). */
  freezes?: "skip" | "ignore";
}

export type NextWindow = WindowResult & { tz: string };

const LOOKAHEAD_DAYS = 60;

/**
 * The next `slot` window strictly after `after` (the T2 cutoff: at or after today's T2 means the next
 * one) that no freeze blocks for a bug of `module` (null: only whole-system freezes count).
 * null: no such system, or frozen for the next LOOKAHEAD_DAYS (a freeze until lifted).
 */
export async function nextWindow(
  deps: ScheduleDeps,
  system: SystemConfig | string,
  slot: Slot,
  after: Date,
  opts: NextWindowOptions = {},
): Promise<NextWindow | null> {
  const systemId = typeof system === "string" ? system : system.id;
  const configured =
    typeof system === "string" ? deps.config && systemRegistry(deps.config).find(systemId) : (system as SystemConfig);
  const { config, calendarFacts } = deps;
  if (!configured || !config || !calendarFacts || opts.freezes === "ignore") {
    const times = configured
      ? { time: configured.windows[slot], tz: configured.timezone }
      : await systemRowTimes(deps.db, systemId, slot);
    if (!times) return null;
    return { ...nextWindowAt(after, times.time, times.tz, { inclusive: false }), tz: times.tz };
  }
  const { timezone: tz } = configured;
  const time = configured.windows[slot];
  const skipDay = skipDays({
    systemId,
    tz,
    slotTime: time,
    env: config.freeze,
    stored: opts.stored ?? (await activeStoredFreezes(deps.db, after)),
    rules: configured.freeze,
    facts: (date) => calendarFacts(configured.freeze, date),
    module: opts.module ?? null,
    describe: freezeReasonText,
  });
  try {
    return { ...nextWindowAt(after, time, tz, { inclusive: false, skipDay, maxDays: LOOKAHEAD_DAYS }), tz };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

async function systemRowTimes(q: Queryable, systemId: string, slot: Slot) {
  const [row] = await q.select().from(systems).where(eq(systems.id, systemId));
  return row ? { time: slot === "t1" ? row.t1Time : row.t2Time, tz: row.timezone } : null;
}

export async function lastWindowRun(q: Queryable, systemId: string) {
  const [row] = await q
    .select()
    .from(windowRuns)
    .where(eq(windowRuns.systemId, systemId))
    .orderBy(desc(windowRuns.scheduledFor), desc(windowRuns.id))
    .limit(1);
  return row ?? null;
}
