// Planned freezes tell the group 24 hours and 1 hour before they start, when they start and (config
// periods; stored ones through autoLiftFreezes) when they lift. No timers hold them: every sweep and
// scheduler tick asks the database and the config which stage is due now, and writes it to the
// outbox under a dedupe key — sent once, across restarts and replicas. A stored freeze is re-read
// under a row lock, so one lifted or cancelled meanwhile gets nothing.
import { and, eq, gt, isNotNull, isNull, or } from "drizzle-orm";
import { freezes } from "../../drizzle/schema.js";
import type { Config, SystemConfig } from "../config.js";
import { type FreezePeriod, periodInstants } from "../core/freeze.js";
import { formatDateTime } from "../core/windows.js";
import { incidents, plannedFreeze } from "../i18n/index.js";
import type { Queryable } from "./db.js";
import { enqueue, notice } from "./outbox.js";

export type ReminderStage = "24h" | "1h" | "start" | "lift";

const HOUR = 3_600_000;
/** A lift noticed later than this (the bot was down) is not announced any more. */
const LIFT_GRACE_MS = 24 * HOUR;

/**
 * The stage due at `now` for a freeze over [from, until): the latest one reached (a bot that was
 * down sends only that one). A reminder is skipped when the freeze was created after its time
 * (the creation notice said it). `lift` only when asked (config periods).
 */
export function dueStage(
  p: { from: Date; until: Date; createdAt: Date | null },
  now: Date,
  withLift: boolean,
): ReminderStage | null {
  const t = now.getTime();
  const from = p.from.getTime();
  const existedAt = (at: number) => p.createdAt === null || p.createdAt.getTime() < at;
  if (t >= p.until.getTime()) return withLift && t < p.until.getTime() + LIFT_GRACE_MS ? "lift" : null;
  if (t >= from) return "start";
  if (t >= from - HOUR) return existedAt(from - HOUR) ? "1h" : null;
  if (t >= from - 24 * HOUR) return existedAt(from - 24 * HOUR) ? "24h" : null;
  return null;
}

export interface ReminderDeps {
  db: Queryable;
  config: Pick<Config, "systems">;
}

const { scopeSystem, scopeModule } = incidents.freeze;
const scopeOf = (system: SystemConfig, modules: readonly string[]) =>
  modules.length ? modules.map((m) => scopeModule(m)).join("、") : scopeSystem(system.name);

/** A config period's identity: a changed period is a new one (its reminders start over). */
const periodKey = (system: SystemConfig, p: FreezePeriod) =>
  `${system.id}:${p.from}:${p.until}:${p.modules.join(",")}`.slice(0, 200);

/** Writes the reminders due at `now` (idempotent); `systems` limits it to some systems (a tick's). */
export async function sendFreezeReminders(
  deps: ReminderDeps,
  now: Date,
  systems: readonly SystemConfig[] = deps.config.systems,
): Promise<void> {
  for (const system of systems) await configReminders(deps, system, now);
  await storedReminders(deps, systems, now);
}

async function configReminders(deps: ReminderDeps, system: SystemConfig, now: Date): Promise<void> {
  const tz = system.timezone;
  for (const p of system.freeze.periods ?? []) {
    const { from, until } = periodInstants(p, tz);
    const stage = dueStage({ from, until, createdAt: null }, now, true);
    if (!stage) continue;
    const text = plannedFreeze.reminder({
      stage,
      scope: scopeOf(system, p.modules),
      ref: plannedFreeze.refConfig,
      reason: p.reason,
      from: formatDateTime(from, tz),
      until: formatDateTime(until, tz),
    });
    const key = `freeze-reminder:config:${periodKey(system, p)}:${stage}`;
    await enqueue(deps.db, [notice(system.groupChatId, text, { dedupeKey: key })], now);
  }
}

async function storedReminders(deps: ReminderDeps, systems: readonly SystemConfig[], now: Date): Promise<void> {
  const ids = systems.map((s) => s.id);
  const rows = await deps.db
    .select()
    .from(freezes)
    .where(
      and(isNull(freezes.liftedAt), isNotNull(freezes.startsAt), or(isNull(freezes.until), gt(freezes.until, now))),
    );
  for (const row of rows) {
    const stage = dueStage(
      { from: row.startsAt!, until: row.until ?? new Date(8.64e15), createdAt: row.createdAt },
      now,
      false,
    );
    if (!stage) continue;
    const targets = systems.filter((s) => (row.systemId === null ? true : s.id === row.systemId) && ids.includes(s.id));
    if (targets.length === 0) continue;
    await deps.db.transaction(async (tx) => {
      // re-read under a lock: a freeze lifted or cancelled meanwhile is not announced
      const [locked] = await tx
        .select({ id: freezes.id })
        .from(freezes)
        .where(and(eq(freezes.id, row.id), isNull(freezes.liftedAt)))
        .for("update");
      if (!locked) return;
      const drafts = targets.map((s) =>
        notice(
          s.groupChatId,
          plannedFreeze.reminder({
            stage,
            scope: scopeOf(s, row.scope === "module" && row.module ? [row.module] : []),
            ref: plannedFreeze.refStored(row.id),
            reason: row.reason,
            from: formatDateTime(row.startsAt!, s.timezone),
            until: row.until ? formatDateTime(row.until, s.timezone) : "—",
          }),
          { dedupeKey: `freeze-reminder:${row.id}:${s.id}:${stage}` },
        ),
      );
      await enqueue(tx, drafts, now);
    });
  }
}
