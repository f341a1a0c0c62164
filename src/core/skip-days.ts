// Which days a window passes over: the one skip-day rule for a bug (its module) or a whole system.
import {
  type CalendarFacts,
  type CalendarRules,
  type EnvFreeze,
  evaluateFreeze,
  type FreezeReason,
  freezeFor,
  type StoredFreeze,
} from "./freeze.js";
import { type SkipDay, zonedInstant } from "./windows.js";

export interface SkipDayInputs {
  systemId: string;
  tz: string;
  /** HH:MM of the slot: each day is judged at that day's window. */
  slotTime: string;
  env: EnvFreeze;
  /** Active stored freezes (read once by the caller); their `until` is honoured per day. */
  stored: StoredFreeze[];
  rules: CalendarRules;
  /** The calendar's facts for a local date (an adapter's answer, passed in). */
  facts: (localDate: string) => CalendarFacts;
  /** A bug's module: its module freezes skip a day too. null: only a whole-system freeze does. */
  module: string | null;
  /** How a skipped day's reason reads (i18n renders it; core only decides). */
  describe: (reason: FreezeReason) => string;
}

/** The skip rule: a day is skipped (with the first reason) when the freeze at that day's window blocks `module`. */
export function skipDays(i: SkipDayInputs): SkipDay {
  return (localDate) => {
    const verdict = evaluateFreeze({
      at: zonedInstant(localDate, i.slotTime, i.tz),
      tz: i.tz,
      systemId: i.systemId,
      env: i.env,
      stored: i.stored,
      rules: i.rules,
      facts: i.facts(localDate),
    });
    const reason = freezeFor(verdict, i.module);
    return reason ? i.describe(reason) : null;
  };
}
