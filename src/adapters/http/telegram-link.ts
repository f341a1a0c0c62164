// Whether the bot is in touch with Telegram, for the logs and for GET /healthz. At start-up getMe
// and setWebhook/deleteWebhook run through `call`: each attempt is bounded, every failed attempt is
// logged with its error, and the next one follows with backoff until it succeeds or the process
// stops. Afterwards the getUpdates calls of long polling are watched: one that gets no answer for
// much longer than its long-poll timeout means Telegram went out of reach again.
import { Api, GrammyError, type Transformer } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "pino";

/** One start-up attempt waits this long for an answer (getMe and friends answer at once). */
export const ATTEMPT_TIMEOUT_SECONDS = 5;
/** Pause after the n-th failed attempt: 1 s, 2 s, 4 s … up to a minute. */
export const backoffMs = (attempt: number): number => Math.min(1000 * 2 ** Math.max(0, attempt - 1), 60_000);
/** How much longer than its long-poll timeout a getUpdates may take before Telegram counts as lost. */
const POLL_SLACK_MS = 15_000;
const WATCH_EVERY_MS = 5_000;
const STALL_LOG_EVERY_MS = 30_000;

/** grammY types its signals with the abort-controller polyfill's AbortSignal; Node's is compatible at runtime. */
type GrammySignal = NonNullable<Parameters<Api["getMe"]>[0]>;
const asGrammy = (signal: AbortSignal): GrammySignal => signal as unknown as GrammySignal;

export interface TelegramHealth {
  ok: boolean;
  /** connecting → unreachable (retrying) → starting (getMe done) → receiving; stalled/failing when lost again. */
  state: "connecting" | "unreachable" | "starting" | "receiving" | "stalled" | "failing";
  reason?: string;
}

/** Telegram refused the token itself (401/404): retrying cannot help. */
export class TelegramRefusedError extends Error {
  override name = "TelegramRefusedError";
}

export interface TelegramLink {
  /** Runs `fn` until it succeeds (null once `signal` is aborted), logging and backing off after each failure. */
  call<T>(what: string, fn: (api: Api, signal: GrammySignal) => Promise<T>): Promise<T | null>;
  /** getMe with retries; then the link is "starting". */
  reach(): Promise<UserFromGetMe | null>;
  /** Webhook mode: setWebhook succeeded, updates will arrive. */
  webhookSet(): void;
  /** For bot.api: tracks long polling's getUpdates calls. */
  pollWatcher: Transformer;
  health(): TelegramHealth;
  close(): void;
}

/** A Telegram failure in one line: the error and its causes, never the token. */
export function describeTelegramError(error: unknown, token: string): string {
  const parts: string[] = [];
  if (error instanceof GrammyError) parts.push(`${error.error_code} ${error.description}`);
  // grammY's HttpError keeps the network error in `error`; Node's errors chain through `cause`
  else
    for (let e = error, depth = 0; e && depth < 4; e = nextCause(e), depth++) {
      const code = (e as { code?: unknown }).code;
      const message = e instanceof Error ? e.message : String(e);
      parts.push(typeof code === "string" && !message.includes(code) ? `${message} [${code}]` : message);
    }
  return parts.join(": ").replaceAll(token, "<BOT_TOKEN>");
}

const nextCause = (e: unknown): unknown => (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;

export function createTelegramLink(options: {
  token: string;
  apiRoot: string | null;
  logger: Logger;
  /** Aborted when the process stops: pending attempts end at once. */
  signal: AbortSignal;
  /** Webhook mode: updates arrive once setWebhook succeeded (else long polling's getUpdates). */
  webhook: boolean;
  now?: () => number;
}): TelegramLink {
  const { token, logger, signal } = options;
  const now = options.now ?? Date.now;
  const where = options.apiRoot ?? "https://api.telegram.org";
  // No auto-retry here: each attempt is ours to bound, log and pace.
  const api = new Api(token, {
    ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}),
    timeoutSeconds: ATTEMPT_TIMEOUT_SECONDS,
  });

  let state: TelegramHealth["state"] = "connecting";
  let lastError: string | null = null;
  let polling: { since: number; timeoutMs: number } | null = null;
  let lastStallLog = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });

  async function call<T>(what: string, fn: (api: Api, signal: GrammySignal) => Promise<T>): Promise<T | null> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const result = await fn(api, asGrammy(signal));
        if (attempt > 1) logger.info({ call: what, attempts: attempt }, "Telegram reached");
        return result;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
          throw new TelegramRefusedError(
            `Telegram 拒絕了 BOT_TOKEN（${error.error_code} ${error.description}），請向 @BotFather 確認權杖。` +
              ` / Telegram refused BOT_TOKEN (${error.error_code} ${error.description}): check the token with @BotFather.`,
          );
        }
        const retryAfter = error instanceof GrammyError ? error.parameters.retry_after : undefined;
        const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(attempt);
        lastError = describeTelegramError(error, token);
        if (state === "connecting") state = "unreachable";
        logger.warn(
          { call: what, attempt, error: lastError, apiRoot: where, retryInSeconds: Math.round(waitMs / 100) / 10 },
          "Telegram cannot be reached; retrying",
        );
        await sleep(waitMs);
      }
    }
    return null;
  }

  const watch = setInterval(() => {
    if (!polling || state === "stalled") return;
    const waited = now() - polling.since;
    if (waited <= polling.timeoutMs + POLL_SLACK_MS) return;
    state = "stalled";
    lastError = `getUpdates has had no answer for ${Math.round(waited / 1000)} s`;
  }, WATCH_EVERY_MS);
  watch.unref();
  const logStall = setInterval(() => {
    if (state !== "stalled" || now() - lastStallLog < STALL_LOG_EVERY_MS) return;
    lastStallLog = now();
    const waited = polling ? Math.round((now() - polling.since) / 1000) : null;
    logger.warn({ apiRoot: where, waitedSeconds: waited }, "Telegram cannot be reached: getUpdates has no answer");
  }, WATCH_EVERY_MS);
  logStall.unref();

  const pollWatcher: Transformer = async (prev, method, payload, callSignal) => {
    if (method !== "getUpdates") return prev(method, payload, callSignal);
    const timeoutSeconds = Number((payload as { timeout?: number } | undefined)?.timeout ?? 0);
    polling = { since: now(), timeoutMs: timeoutSeconds * 1000 };
    try {
      const result = await prev(method, payload, callSignal);
      if (result.ok) {
        if (state === "stalled" || state === "failing") logger.info("Telegram reachable again: receiving updates");
        else if (state !== "receiving") logger.info("receiving updates from Telegram");
        state = "receiving";
        lastError = null;
      } else if (!signal.aborted) {
        state = "failing";
        lastError = `getUpdates: ${result.error_code} ${result.description}`;
        logger.warn({ error: lastError }, "Telegram refused getUpdates");
      }
      return result;
    } catch (error) {
      if (!signal.aborted && !callSignal?.aborted) {
        state = "failing";
        lastError = `getUpdates: ${describeTelegramError(error, token)}`;
        logger.warn({ error: lastError, apiRoot: where }, "Telegram cannot be reached");
      }
      throw error;
    } finally {
      polling = null;
    }
  };

  return {
    call,
    reach: async () => {
      logger.info({ apiRoot: where }, "connecting to Telegram");
      const me = await call("getMe", (a, s) => a.getMe(s));
      if (me) {
        state = "starting";
        lastError = null;
      }
      return me;
    },
    webhookSet: () => {
      state = "receiving";
      lastError = null;
    },
    pollWatcher,
    health: () => {
      switch (state) {
        case "receiving":
          return { ok: true, state };
        case "connecting":
          return { ok: false, state, reason: "connecting to Telegram (getMe has not answered yet)" };
        case "unreachable":
          return { ok: false, state, reason: `Telegram cannot be reached: ${lastError}` };
        case "starting":
          return {
            ok: false,
            state,
            reason: options.webhook ? "setWebhook has not succeeded yet" : "no getUpdates call has succeeded yet",
          };
        default:
          return { ok: false, state, reason: `Telegram cannot be reached: ${lastError}` };
      }
    },
    close: () => {
      clearInterval(watch);
      clearInterval(logStall);
    },
  };
}

/** A transformer that ends every call when `signal` aborts (stop: no request outlives the process's bound). */
export function abortWith(signal: AbortSignal): Transformer {
  return async (prev, method, payload, callSignal) => {
    if (!callSignal) return prev(method, payload, asGrammy(signal));
    const both = new AbortController();
    const abort = () => both.abort();
    if (callSignal.aborted || signal.aborted) both.abort();
    callSignal.addEventListener("abort", abort);
    signal.addEventListener("abort", abort);
    try {
      return await prev(method, payload, asGrammy(both.signal));
    } finally {
      callSignal.removeEventListener("abort", abort);
      signal.removeEventListener("abort", abort);
    }
  };
}
