// Is a system (or one of its modules) frozen at an instant, and why. Calendar facts come from an adapter.
// Reasons are codes and values (FreezeCause); src/i18n renders them (freezeReasonText, describeFreeze).
import { normalizeModule } from "./text.js";
import { addDays, localParts, zonedInstant } from "./windows.js";

/** Why something is frozen, as data: i18n turns it into words. */
export type FreezeCause =
  /** DEPLOY_FREEZE=true */
  | { kind: "env_hard" }
  /** DEPLOY_FREEZE_MODULES names this module */
  | { kind: "env_module"; module: string }
  /** DEPLOY_FREEZE_UNTIL alone */
  | { kind: "env_until"; until: string }
  /** a /freeze row: its reason as the admin typed it */
  | { kind: "stored"; text: string }
  /** a planned period of the system's config (freeze.periods): its reason */
  | { kind: "planned"; text: string }
  /** a public holiday of the configured country */
  | { kind: "holiday"; name: string }
  | { kind: "lunar_new_year" }
  | { kind: "month_end" };

export interface FreezeReason {
  source: "env" | "stored" | "calendar" | "config";
  cause: FreezeCause;
  /** a local date (YYYY-MM-DD, lifts at 00:00 of it) or an ISO instant; null = until lifted */
  until: string | null;
  /** the stored freeze's id */
  id?: number;
}

export interface StoredFreeze {
  id: number;
  scope: "all" | "system" | "module";
  systemId: string | null;
  module: string | null;
  reason: string;
  until: Date | null;
  createdBy: string;
  /** A planned freeze starts here (null/absent: at once). */
  from?: Date | null;
}

/**
 * A planned freeze period from the system's config (`freeze.periods`), as local date-times in the
 * system's timezone ("YYYY-MM-DD HH:MM"): frozen from `from` (inclusive) to `until` (exclusive).
 */
export interface FreezePeriod {
  from: string;
  until: string;
  /** empty: the whole system */
  modules: string[];
  reason: string;
}

/** A period's instants in the system's timezone. */
export function periodInstants(p: FreezePeriod, tz: string): { from: Date; until: Date } {
  const at = (local: string) => zonedInstant(local.slice(0, 10), local.slice(11, 16) || "00:00", tz);
  return { from: at(p.from), until: at(p.until) };
}

export interface EnvFreeze {
  /** DEPLOY_FREEZE=true */
  hard: boolean;
  /** DEPLOY_FREEZE_MODULES */
  modules: string[];
  /** DEPLOY_FREEZE_UNTIL, YYYY-MM-DD: auto-lift at 00:00 local of that date */
  until: string | null;
}

export interface CalendarRules {
  /** country code for public holidays, e.g. "TW" */
  holidays: string | null;
  lunarNewYear: boolean;
  monthEnd: { days: number; modules: string[] } | null;
  /** planned periods (config `freeze.periods`) */
  periods?: FreezePeriod[];
}

/** Facts for one local date, computed by an adapter (date-holidays). */
export interface CalendarFacts {
  holidayName: string | null;
  lunarNewYear: boolean;
}

export interface FreezeInputs {
  at: Date;
  tz: string;
  systemId: string;
  env: EnvFreeze;
  /** active (not lifted) stored freezes; expired ones are filtered here by `until` */
  stored: StoredFreeze[];
  rules: CalendarRules;
  facts: CalendarFacts;
}

export interface FreezeVerdict {
  full: FreezeReason[];
  /** keyed by module name, normalized (core/text.ts normalizeModule) */
  modules: Record<string, FreezeReason[]>;
}

/** Env, stored, config and bug modules all compare normalized: a look-alike cannot slip past. */
const moduleKey = (module: string): string => normalizeModule(module);

export function isMonthEnd(localDate: string, days: number): boolean {
  if (days <= 0) return false;
  const next = addDays(localDate, days);
  return next.slice(0, 7) !== localDate.slice(0, 7);
}

export function evaluateFreeze(i: FreezeInputs): FreezeVerdict {
  const full: FreezeReason[] = [];
  const modules: Record<string, FreezeReason[]> = {};
  const addModule = (module: string, reason: FreezeReason) => {
    const key = moduleKey(module);
    if (!key) return;
    const list = modules[key] ?? [];
    list.push(reason);
    modules[key] = list;
  };
  const today = localParts(i.at, i.tz).date;

  const { env } = i;
  const envActive = env.until === null || today < env.until;
  const envModules = env.modules.map(moduleKey).filter(Boolean);
  if (envActive) {
    if (env.hard) full.push({ source: "env", cause: { kind: "env_hard" }, until: env.until });
    for (const m of new Set(envModules))
      addModule(m, { source: "env", cause: { kind: "env_module", module: m }, until: env.until });
    if (!env.hard && envModules.length === 0 && env.until !== null) {
      full.push({ source: "env", cause: { kind: "env_until", until: env.until }, until: env.until });
    }
  }

  for (const s of i.stored) {
    if (s.until !== null && i.at >= s.until) continue;
    if (s.from && i.at < s.from) continue; // planned, not started yet
    const reason: FreezeReason = {
      source: "stored",
      cause: { kind: "stored", text: s.reason },
      until: s.until?.toISOString() ?? null,
      id: s.id,
    };
    if (s.scope === "all") full.push(reason);
    else if (s.scope === "system" && s.systemId === i.systemId) full.push(reason);
    // A module freeze without a system applies to that module in every system.
    else if (s.scope === "module" && s.module && (s.systemId === null || s.systemId === i.systemId)) {
      addModule(s.module, reason);
    }
  }

  const { rules, facts } = i;
  for (const p of rules.periods ?? []) {
    const { from, until } = periodInstants(p, i.tz);
    if (i.at < from || i.at >= until) continue;
    const reason: FreezeReason = {
      source: "config",
      cause: { kind: "planned", text: p.reason },
      until: until.toISOString(),
    };
    if (p.modules.length === 0) full.push(reason);
    else for (const m of p.modules) addModule(m, reason);
  }
  if (rules.holidays && facts.holidayName) {
    full.push({ source: "calendar", cause: { kind: "holiday", name: facts.holidayName }, until: addDays(today, 1) });
  }
  if (rules.lunarNewYear && facts.lunarNewYear) {
    full.push({ source: "calendar", cause: { kind: "lunar_new_year" }, until: addDays(today, 1) });
  }
  if (rules.monthEnd && isMonthEnd(today, rules.monthEnd.days)) {
    const until = `${addDays(`${today.slice(0, 7)}-28`, 7).slice(0, 7)}-01`;
    for (const m of rules.monthEnd.modules) addModule(m, { source: "calendar", cause: { kind: "month_end" }, until });
  }
  return { full, modules };
}

/** The first full-freeze reason, else the first reason freezing `module`, else null. */
export function freezeFor(v: FreezeVerdict, module: string | null): FreezeReason | null {
  return v.full[0] ?? (module ? v.modules[moduleKey(module)]?.[0] : undefined) ?? null;
}

export const isFullyFrozen = (v: FreezeVerdict): boolean => v.full.length > 0;

export const isFrozenAnywhere = (v: FreezeVerdict): boolean =>
  v.full.length > 0 || Object.values(v.modules).some((r) => r.length > 0);
