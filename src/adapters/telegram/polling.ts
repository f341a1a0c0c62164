// issue 15: long polling with @grammyjs/runner — up to POLLING_CONCURRENCY updates handled at once
// instead of grammY's one at a time (`bot.start()`), each conversation's updates still in order
// (`updateOrder`, installed by createBot with the runner's `sequentialize`), and a stop that drains
// the updates in flight and confirms the offset. https://grammy.dev/plugins/runner
import {
  createConcurrentSink,
  createRunner,
  createSource,
  createUpdateFetcher,
  type UpdateSupplier,
} from "@grammyjs/runner";
import type { Bot, Context } from "grammy";
import type { Update } from "grammy/types";

/**
 * What must not run concurrently: a user's updates in a chat (their conversation's state is one kv
 * row, keyed by chat and user, and their answers must arrive in order). Updates from different
 * chats, or from different members of one group, run in parallel, as webhook mode already allows.
 * An update without a sender (none in `allowed_updates` today) is ordered by its chat.
 */
export const updateOrder = (ctx: Context): string | string[] => {
  const chat = ctx.chatId;
  const user = ctx.from?.id;
  if (chat !== undefined && user !== undefined) return `${chat}:${user}`;
  if (chat !== undefined) return `${chat}`;
  return user !== undefined ? `user:${user}` : [];
};

/** How long the stop waits for the last long poll to end, and then for the offset's confirmation. */
const CALL_BOUND_MS = 3_000;

const within = (promise: Promise<unknown>, ms: number): Promise<unknown> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() =>
    clearTimeout(timer),
  );
};

export interface PollingOptions {
  /** The most updates handled at once (POLLING_CONCURRENCY). */
  concurrency: number;
  allowedUpdates: readonly Exclude<keyof Update, "update_id">[];
  /** Long-poll timeout of getUpdates, in seconds (Telegram's default here: 30). */
  timeoutSeconds?: number;
  /** Called once each update has been handled (tests, the bench). */
  onHandled?: (update: Update) => void;
}

export interface Polling {
  /** Settles when polling ends: rejects when Telegram refuses it for good (401, 409). */
  readonly task: Promise<void>;
  /** Updates being handled now. */
  inFlight(): number;
  /** The most updates handled at once so far. */
  peak(): number;
  /**
   * Stops fetching, waits up to `drainMs` for the updates in flight to finish, then confirms the
   * offset (a getUpdates with limit 1 and no wait) so that a restart does not fetch them again.
   * Returns how many were still in flight when it gave up (0: drained).
   */
  stop(drainMs: number): Promise<number>;
}

export async function startPolling<C extends Context>(bot: Bot<C>, options: PollingOptions): Promise<Polling> {
  await bot.init();
  const fetchUpdates = createUpdateFetcher(bot, {
    fetch: { timeout: options.timeoutSeconds ?? 30, allowed_updates: options.allowedUpdates },
    // main.ts' Telegram link logs getUpdates failures once per state change; the runner would print each
    silent: true,
  });
  let fetched: number | null = null;
  const supplier: UpdateSupplier<Update> = {
    supply: async (batchSize, signal) => {
      // the runner's first batch asks for 100: no more than the concurrency, so the bound holds
      const updates = await fetchUpdates(Math.min(batchSize, options.concurrency), signal);
      fetched = updates.at(-1)?.update_id ?? fetched;
      return updates;
    },
  };
  let inFlight = 0;
  let peak = 0;
  const idle: (() => void)[] = [];
  const sink = createConcurrentSink<Update>(
    {
      consume: async (update) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          await bot.handleUpdate(update);
          options.onHandled?.(update);
        } finally {
          inFlight--;
          if (inFlight === 0) for (const wake of idle.splice(0)) wake();
        }
      },
    },
    async (error) => {
      // createBot's error boundary answers the user; what escapes it goes to bot.catch's handler
      await bot.errorHandler(error as never);
    },
    { concurrency: options.concurrency },
  );
  const runner = createRunner(createSource(supplier), sink);
  runner.start();
  const task = runner.task() ?? Promise.resolve();
  return {
    task,
    inFlight: () => inFlight,
    peak: () => peak,
    stop: async (drainMs) => {
      // A getUpdates that ignores its abort (a Bot API that does not answer) is left behind.
      await within(runner.stop() ?? Promise.resolve(), CALL_BOUND_MS);
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          idle.push(resolve);
          timer = setTimeout(resolve, Math.max(0, drainMs));
        });
        clearTimeout(timer);
      }
      const left = inFlight;
      if (left === 0 && fetched !== null)
        await within(
          bot.api.getUpdates({ offset: fetched + 1, limit: 1, timeout: 0 }).catch(() => undefined),
          CALL_BOUND_MS,
        );
      return left;
    },
  };
}
