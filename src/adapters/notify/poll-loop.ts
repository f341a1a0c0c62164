// The background loop the outbox dispatcher and the relay share: run a round, and when it did nothing
// wait (`idleMs`, re-read each time) before the next; stop() ends the wait at once and resolves when
// the round in progress has finished. A failed round is logged and the loop goes on.
import type { Logger } from "pino";

export interface PollLoop {
  start(): void;
  stop(): Promise<void>;
}

export function pollLoop(options: {
  /** One round; returns how much it did (0: idle, wait before the next). */
  round: () => Promise<number>;
  /** How long to wait after an idle round. */
  idleMs: () => number;
  logger: Logger;
  /** The log message of a failed round. */
  failed: string;
  /** Runs once each time the loop starts. */
  onStart?: () => void;
}): PollLoop {
  let stopped = true;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      options.onStart?.();
      loop = (async () => {
        while (!stopped) {
          let done = 0;
          try {
            done = await options.round();
          } catch (error) {
            options.logger.error({ err: error }, options.failed);
          }
          if (done === 0 && !stopped) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, options.idleMs());
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
          }
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
