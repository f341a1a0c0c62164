// When the next T1/T2 of a system runs, skipping the days a freeze blocks; the last window's outcome.
import { desc, eq } from "drizzle-orm";
import { systems, windowRuns } from "../../drizzle/schema.js";
import { calendarFacts } from "../adapters/calendar/calendar-facts.js";
import type { Queryable } from "../adapters/db/database.js";
import type { Config } from "../config.js";
import { evaluateFreeze, freezeFor } from "../core/freeze.js";
import type { Slot } from "../core/model.js";
import { nextWindow, type WindowResult, zonedInstant } from "../core/windows.js";
import { freezeReasonText } from "../i18n/index.js";
import { activeStoredFreezes } from "./freeze-state.js";

/** The freeze inputs from configuration (env and calendar rules); stored freezes come from the database. */
export type FreezeConfig = Pick<Config, "freeze" | "systems">;

export type SystemRow = typeof systems.$inferSelect;

/**
 * The next `slot` window strictly after `now` (the T2 cutoff: at or after today's T2 means the next
 * one) that no freeze blocks for a bug of `module` (null: only whole-system freezes count).
 * Without `config` (or for a system it does not list) the systems table gives the times, no skipping.
 * null: no such system, or frozen for the next LOOKAHEAD_DAYS (a freeze until lifted).
 */
export async function nextOpenWindow(
  q: Queryable,
  config: FreezeConfig | undefined,
  systemId: string,
  slot: Slot,
  now: Date,
  module: string | null = null,
): Promise<(WindowResult & { tz: string }) | null> {
  const system = config?.systems.find((s) => s.id === systemId);
  if (!system || !config) {
    const [row] = await q.select().from(systems).where(eq(systems.id, systemId));
    if (!row) return null;
    const time = slot === "t1" ? row.t1Time : row.t2Time;
    return { ...nextWindow(now, time, row.timezone, { inclusive: false }), tz: row.timezone };
  }
  const { timezone: tz } = system;
  const time = system.windows[slot];
  const stored = await activeStoredFreezes(q, now);
  const skipDay = (date: string): string | null => {
    const verdict = evaluateFreeze({
      at: zonedInstant(date, time, tz),
      tz,
      systemId,
      env: config.freeze,
      stored,
      rules: system.freeze,
      facts: calendarFacts(system.freeze, date),
    });
    const reason = freezeFor(verdict, module);
    return reason ? freezeReasonText(reason) : null;
  };
  try {
    return { ...nextWindow(now, time, tz, { inclusive: false, skipDay, maxDays: LOOKAHEAD_DAYS }), tz };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

const LOOKAHEAD_DAYS = 60;

export async function lastWindowRun(q: Queryable, systemId: string) {
  const [row] = await q
    .select()
    .from(windowRuns)
    .where(eq(windowRuns.systemId, systemId))
    .orderBy(desc(windowRuns.scheduledFor), desc(windowRuns.id))
    .limit(1);
  return row ?? null;
}
