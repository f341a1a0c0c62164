// The freeze in force for a system at an instant: env + stored (/freeze) + calendar rules.
import { and, gt, isNull, or } from "drizzle-orm";
import { freezes } from "../../drizzle/schema.js";
import type { Config, SystemConfig } from "../config.js";
import { evaluateFreeze, type FreezeVerdict, isFullyFrozen, type StoredFreeze } from "../core/freeze.js";
import { localParts, type SkipDay, zonedInstant } from "../core/windows.js";
import { freezeReasonText } from "../i18n/index.js";
import type { Queryable } from "./db.js";
import type { Calendar } from "./ports.js";

export interface FreezeDeps {
  db: Queryable;
  config: Pick<Config, "freeze">;
  calendarFacts: Calendar;
}

/** Stored freezes not lifted and not expired at `at` (planned ones too: `from` says when they start). */
export async function activeStoredFreezes(db: Queryable, at: Date): Promise<StoredFreeze[]> {
  const rows = await db
    .select()
    .from(freezes)
    .where(and(isNull(freezes.liftedAt), or(isNull(freezes.until), gt(freezes.until, at))));
  return rows.map(toStoredFreeze);
}

export const toStoredFreeze = (r: typeof freezes.$inferSelect): StoredFreeze => ({
  id: r.id,
  scope: r.scope,
  systemId: r.systemId,
  module: r.module,
  reason: r.reason,
  until: r.until,
  createdBy: r.createdBy,
  from: r.startsAt,
});

function verdictWith(deps: FreezeDeps, system: SystemConfig, stored: StoredFreeze[], at: Date): FreezeVerdict {
  return evaluateFreeze({
    at,
    tz: system.timezone,
    systemId: system.id,
    env: deps.config.freeze,
    stored,
    rules: system.freeze,
    facts: deps.calendarFacts(system.freeze, localParts(at, system.timezone).date),
  });
}

export async function freezeVerdict(deps: FreezeDeps, system: SystemConfig, at: Date): Promise<FreezeVerdict> {
  return verdictWith(deps, system, await activeStoredFreezes(deps.db, at), at);
}

/**
 * For window math: a day is skipped when the whole system is frozen at that day's window.
 * Stored freezes are read once (as of `now`); their `until` is honoured per day.
 */
export async function frozenDays(
  deps: FreezeDeps,
  system: SystemConfig,
  slotTime: string,
  now: Date,
): Promise<SkipDay> {
  const stored = await activeStoredFreezes(deps.db, now);
  return (localDate) => {
    const verdict = verdictWith(deps, system, stored, zonedInstant(localDate, slotTime, system.timezone));
    return isFullyFrozen(verdict) ? verdict.full.map(freezeReasonText).join("、") : null;
  };
}
