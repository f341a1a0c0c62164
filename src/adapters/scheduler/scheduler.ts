// croner per system, in its timezone: T1, T2 and the T2 − 30 min reminder each call tick(), which
// claims windows in the database (protect only stops overlap inside this process). Under a
// simulated clock croner's real-time triggers would never line up, so `everyMs` replaces them with
// a plain interval calling tick(deps, clock()) — safe because tick is idempotent.
import { Cron } from "croner";
import { tick, type WindowDeps } from "../../app/windows.js";
import type { SystemConfig } from "../../config.js";

const cronAt = (hhmm: string, minusMinutes = 0): string => {
  const total = (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) - minusMinutes + 1440) % 1440;
  return `0 ${total % 60} ${Math.floor(total / 60)} * * *`;
};

export interface Scheduler {
  jobs: Cron[];
  /** Runs due and missed windows now (start-up catch-up). */
  catchUp(): Promise<void>;
  /** Stops the timers and waits for running windows (at most `waitMs`). */
  stop(waitMs?: number): Promise<void>;
}

/** Ticks overlap (a running window must not delay the next one's claim), but never pile up. */
const MAX_INTERVAL_TICKS = 4;

export function startScheduler(deps: WindowDeps, options: { everyMs?: number } = {}): Scheduler {
  const running = new Set<Promise<void>>();
  const fire = (systems?: SystemConfig[]): Promise<void> => {
    const p = tick(deps, deps.clock(), systems).finally(() => running.delete(p));
    running.add(p);
    return p;
  };
  if (options.everyMs !== undefined) {
    const timer = setInterval(() => {
      if (running.size < MAX_INTERVAL_TICKS) void fire();
    }, options.everyMs);
    return { jobs: [], catchUp: () => fire(), stop: (waitMs) => settle(running, waitMs, () => clearInterval(timer)) };
  }
  const jobs = deps.config.systems.flatMap((system) =>
    [cronAt(system.windows.t1), cronAt(system.windows.t2), cronAt(system.windows.t2, 30)].map(
      (pattern) =>
        new Cron(
          pattern,
          {
            timezone: system.timezone,
            protect: true,
            catch: (err) => deps.logger.error({ err, system: system.id }, "scheduled tick failed"),
          },
          () => fire([system]),
        ),
    ),
  );
  return {
    jobs,
    catchUp: () => fire(),
    stop: (waitMs) =>
      settle(running, waitMs, () => {
        for (const job of jobs) job.stop();
      }),
  };
}

async function settle(running: Set<Promise<void>>, waitMs = 25_000, stopTimers: () => void): Promise<void> {
  stopTimers();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([Promise.allSettled([...running]), timeout]);
  clearTimeout(timer);
}
