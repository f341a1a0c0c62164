// Due-window planning: which T1/T2 windows of a system are due to run or were missed. Pure.
import type { Slot } from "./model.js";
import { nextWindow, windowsBetween } from "./windows.js";

export interface DueWindow {
  slot: Slot;
  at: Date;
  action: "run" | "missed";
}

/** What dueWindows needs of a system's configuration. */
export interface WindowTimes {
  timezone: string;
  windows: { t1: string; t2: string; graceMinutes: number };
}

const MINUTE = 60_000;
/** Missed windows older than this are not reported one by one after a long outage. */
export const MAX_LOOKBACK_MS = 2 * 24 * 60 * MINUTE;

/**
 * Windows of a system after the last recorded one, up to `now`: each is run if it is at most
 * graceMinutes old and the system's next window has not begun, else reported missed. With no
 * record (a fresh install) only windows within the grace period are considered.
 */
export function dueWindows(system: WindowTimes, now: Date, lastRecorded: Date | null): DueWindow[] {
  const { timezone: tz, windows } = system;
  const grace = windows.graceMinutes * MINUTE;
  const from = new Date(
    lastRecorded ? Math.max(lastRecorded.getTime(), now.getTime() - MAX_LOOKBACK_MS) : now.getTime() - grace - 1,
  );
  const slots: [Slot, string][] = [
    ["t1", windows.t1],
    ["t2", windows.t2],
  ];
  const found = slots.flatMap(([slot, time]) => windowsBetween(from, now, time, tz).map((at) => ({ slot, at })));
  return found
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map(({ slot, at }) => {
      const next = Math.min(...slots.map(([, time]) => nextWindow(at, time, tz, { inclusive: false }).at.getTime()));
      const run = now.getTime() < next && now.getTime() - at.getTime() <= grace;
      return { slot, at, action: run ? "run" : "missed" };
    });
}
