// croner per system, in its timezone: T1, T2 and the T2 − 30 min reminder each call tick(), which
// claims windows in the database (protect only stops overlap inside this process). Under a
// simulated clock croner's real-time triggers would never line up, so `everyMs` replaces them with
// a plain interval calling tick(deps, clock()) — safe because tick is idempotent. A tick that
// failed for a system (the database unreachable at 20:00) is retried with backoff until it
// succeeds, so a short blip costs seconds of the window's grace period, not the night's window.
import { Cron } from "croner";
import { tick, type WindowDeps } from "../../app/windows/index.js";
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

/** First retry of a failed tick after this, doubling up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 60_000;

export function startScheduler(
  deps: WindowDeps,
  options: { everyMs?: number; retryBaseMs?: number; retryMaxMs?: number } = {},
): Scheduler {
  const running = new Set<Promise<void>>();
  const retries = new Set<NodeJS.Timeout>();
  let stopped = false;
  const fire = (systems?: readonly SystemConfig[], attempt = 0): Promise<void> => {
    const p: Promise<void> = tick(deps, deps.clock(), systems)
      .then((failed) => {
        if (failed.length === 0 || stopped) return;
        const again = deps.config.systems.filter((s) => failed.includes(s.id));
        const base = options.retryBaseMs ?? RETRY_BASE_MS;
        const wait = Math.min(base * 2 ** attempt, options.retryMaxMs ?? RETRY_MAX_MS);
        deps.logger.warn({ systems: failed, retryInMs: wait }, "scheduler tick will be retried");
        const timer = setTimeout(() => {
          retries.delete(timer);
          if (!stopped) void fire(again, attempt + 1);
        }, wait);
        retries.add(timer);
      })
      .finally(() => running.delete(p));
    running.add(p);
    return p;
  };
  const stopRetries = () => {
    stopped = true;
    for (const timer of retries) clearTimeout(timer);
    retries.clear();
  };
  if (options.everyMs !== undefined) {
    const timer = setInterval(() => {
      if (running.size < MAX_INTERVAL_TICKS) void fire();
    }, options.everyMs);
    return {
      jobs: [],
      catchUp: () => fire(),
      stop: (waitMs) =>
        settle(running, waitMs, () => {
          clearInterval(timer);
          stopRetries();
        }),
    };
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
        stopRetries();
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
