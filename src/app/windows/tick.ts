// The scheduler's tick: per system, the T2 − 30 min approval reminder, then the due windows (run)
// and the missed ones (recorded and reported, with the database error when an outage caused it).
import { and, eq, inArray, max, ne } from "drizzle-orm";
import { bugs as bugsTable, windowRuns } from "../../../drizzle/schema.js";
import type { SystemConfig } from "../../config.js";
import { type DueWindow, dueWindows } from "../../core/due-windows.js";
import { mayMergeBackToUat } from "../../core/machine.js";
import { boundedText, oneLine } from "../../core/text.js";
import { formatDateTime, localParts, zonedInstant } from "../../core/windows.js";
import {
  approvalReminder,
  formatWindowTime,
  quietText,
  reliability,
  windowMissed,
  windowText,
} from "../../i18n/index.js";
import { sendFreezeReminders } from "../freeze-reminders.js";
import { activeStoredFreezes } from "../freeze-state.js";
import { messages } from "../messages.js";
import { enqueue } from "../outbox.js";
import { nextWindow } from "../schedule.js";
import { adminsToNotify } from "../todo.js";
import { MINUTE, type WindowDeps } from "./context.js";
import { runWindow } from "./run-window.js";

const REMINDER_LEAD_MS = 30 * MINUTE;

/** Why a system's last tick failed (the database error), until one succeeds: a window missed meanwhile says so. */
const tickFailures = new WeakMap<object, Map<string, { at: Date; reason: string }>>();

const errorText = (error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return boundedText(oneLine(cause instanceof Error ? cause.message : String(cause)), 200);
};

/**
 * What the scheduler calls at each croner fire and at start-up: due windows, missed ones, the
 * reminder. Returns the systems whose tick failed (the database unreachable): the scheduler
 * retries them, and a window that is past its grace period by then is reported with that error.
 */
export async function tick(
  deps: WindowDeps,
  now: Date = deps.clock(),
  systems: readonly SystemConfig[] = deps.config.systems,
): Promise<string[]> {
  const failures = tickFailures.get(deps.db) ?? new Map<string, { at: Date; reason: string }>();
  tickFailures.set(deps.db, failures);
  const failed: string[] = [];
  await Promise.all(
    systems.map(async (system) => {
      try {
        // issue 12: planned freezes' reminders (idempotent; never blocks the windows)
        await sendFreezeReminders(deps, now, [system]).catch((err: unknown) =>
          deps.logger.error({ err, system: system.id }, "freeze reminders failed"),
        );
        await sendApprovalReminder(deps, system, now);
        const [last] = await deps.db
          .select({ at: max(windowRuns.scheduledFor) })
          .from(windowRuns)
          .where(and(eq(windowRuns.systemId, system.id), ne(windowRuns.trigger, "manual")));
        for (const w of dueWindows(system, now, last?.at ?? null)) {
          if (w.action === "missed") await recordMissed(deps, system, w, now, failures.get(system.id));
          else {
            const trigger = now.getTime() - w.at.getTime() > MINUTE ? "catch_up" : "schedule";
            await runWindow(deps, system, w.slot, { scheduledFor: w.at, trigger });
          }
        }
        failures.delete(system.id);
      } catch (error) {
        deps.logger.error({ err: error, system: system.id }, "scheduler tick failed");
        failed.push(system.id);
        if (!failures.has(system.id)) failures.set(system.id, { at: now, reason: errorText(error) });
      }
    }),
  );
  return failed;
}

async function recordMissed(
  deps: WindowDeps,
  system: SystemConfig,
  w: DueWindow,
  now: Date,
  failure?: { at: Date; reason: string },
): Promise<void> {
  const late = Math.round((now.getTime() - w.at.getTime()) / MINUTE);
  const reason =
    failure && failure.at.getTime() >= w.at.getTime() - MINUTE
      ? reliability.missedDatabase(failure.reason)
      : late > system.windows.graceMinutes
        ? windowText.missedDown(late)
        : windowText.missedNextBegun;
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(windowRuns)
      .values({
        systemId: system.id,
        slot: w.slot,
        scheduledFor: w.at,
        status: "missed",
        summary: reason,
        startedAt: now,
        finishedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) return;
    const text = windowMissed({
      slot: w.slot,
      scheduledAt: formatDateTime(w.at, system.timezone),
      graceMinutes: system.windows.graceMinutes,
      reason,
    });
    await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `missed:${row.id}` }), deps.clock());
  });
  deps.logger.warn({ system: system.id, slot: w.slot, at: w.at }, "window missed");
}

/** At T2 − 30 min: the bugs still awaiting an approval, once per system and day (not when today's T2 is frozen). */
export async function sendApprovalReminder(deps: WindowDeps, system: SystemConfig, now: Date): Promise<void> {
  const tz = system.timezone;
  const today = localParts(now, tz).date;
  const t2 = zonedInstant(today, system.windows.t2, tz);
  if (now.getTime() < t2.getTime() - REMINDER_LEAD_MS || now >= t2) return;
  const stored = await activeStoredFreezes(deps.db, now);
  const tonight = await nextWindow(deps, system, "t2", now, { stored });
  if (tonight?.date !== today) return;
  const waiting = await deps.db
    .select()
    .from(bugsTable)
    .where(
      and(
        eq(bugsTable.systemId, system.id),
        eq(bugsTable.held, false),
        inArray(bugsTable.status, ["deployed_uat", "deployed_prod"]),
      ),
    )
    .orderBy(bugsTable.id);
  const awaitingProd = waiting.filter((b) => b.status === "deployed_uat");
  const awaitingMerge = waiting.filter((b) => b.status === "deployed_prod" && mayMergeBackToUat(b));
  if (awaitingProd.length + awaitingMerge.length === 0) return;
  const after =
    (await nextWindow(deps, system, "t2", t2, { stored })) ??
    (await nextWindow(deps, system, "t2", t2, { freezes: "ignore" }));
  const text = approvalReminder({
    awaitingProd,
    awaitingMerge,
    t2: formatWindowTime(t2, now, tz),
    after: formatWindowTime(after!.at, now, tz),
  });
  // issue 17: admins who asked for private notices (/notify on) get it too, each once (dedupe key).
  const notified = await adminsToNotify(deps.db, deps.config, system.id);
  await enqueue(
    deps.db,
    [
      ...messages(system.groupChatId, text, { dedupeKey: `reminder:${system.id}:${today}` }),
      ...notified.flatMap((id) =>
        messages(id, quietText.notify.reminder(text), { dedupeKey: `reminder-private:${system.id}:${today}:${id}` }),
      ),
    ],
    now,
  );
}
