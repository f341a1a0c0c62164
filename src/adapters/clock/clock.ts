// The process clock: real time, or — for chaos drills and the sandbox — a simulated clock that
// reads NIGHTSHIFT_CLOCK_START at its anchor and runs `speed`× real time. Waits measured in the
// app's time (watch intervals, polls) go through sleep/realMs so a fast evening never stalls.
import type { FakeClockConfig } from "../../config.js";

export interface Clock {
  now: () => Date;
  /** Real milliseconds that `ms` of this clock's time last. */
  realMs: (ms: number) => number;
  /** Waits `ms` of this clock's time. */
  sleep: (ms: number) => Promise<void>;
  /** Simulated milliseconds per real millisecond (1 for real time). */
  speed: number;
}

export function createClock(fake: FakeClockConfig | null, realNow: () => number = Date.now): Clock {
  const speed = fake?.speed ?? 1;
  const anchor = fake?.anchor?.getTime() ?? realNow();
  const realMs = (ms: number) => ms / speed;
  return {
    now: fake ? () => new Date(fake.start.getTime() + (realNow() - anchor) * speed) : () => new Date(realNow()),
    realMs,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, realMs(ms))),
    speed,
  };
}
