// issue 11 — what the platform targets share: the failure type that carries a zh-TW cause
// (src/i18n/zh-TW/platforms.ts), a JSON API client (Bearer token, `redirect: "manual"`, size-limited
// answers parsed with zod, retries only for idempotent GETs), a step log that never holds a secret,
// and the conversion of a run into the TargetResult the release records.
import type { z } from "zod";
import type { TargetProgress, TargetResult, TargetStage } from "../../../app/ports.js";
import { boundedTail, boundedText, cleanText, oneLine } from "../../../core/text.js";
import { type NotFound, type PlatformCause, type PlatformName, platformFailure } from "../../../i18n/index.js";
import { isRedirect, readLimited } from "../../checks/http-answer.js";

/** Code points of output kept (its tail), as for command targets. */
export const PROVIDER_OUTPUT_LIMIT = 16 * 1024;

/** A platform step that failed for a reason the group should read (provider + cause). */
export class PlatformError extends Error {
  constructor(
    readonly platform: PlatformName,
    readonly why: PlatformCause,
    readonly timedOut = false,
  ) {
    super(`${platform}: ${why.kind}`);
    this.name = "PlatformError";
  }
}

/** Lines for the deployment's output; every value is cleaned and any secret given is masked. */
export function stepLog(secrets: readonly string[] = []) {
  const lines: string[] = [];
  const mask = (s: string) => secrets.reduce((t, x) => (x ? t.split(x).join("***") : t), s);
  return {
    add: (line: string) => lines.push(mask(cleanText(line))),
    text: () => lines.join("\n"),
  };
}
export type StepLog = ReturnType<typeof stepLog>;

/** The release's view of a platform run: success with its version/state, or the failure in words. */
export async function platformRun(
  platform: PlatformName,
  log: StepLog,
  run: () => Promise<{ version: string | null; state: Record<string, string> | null }>,
): Promise<TargetResult> {
  try {
    const { version, state } = await run();
    return { status: "succeeded", output: boundedTail(log.text(), PROVIDER_OUTPUT_LIMIT), version, state };
  } catch (error) {
    const failure =
      error instanceof PlatformError
        ? error
        : new PlatformError(platform, { kind: "unreachable", detail: boundedText(oneLine(describe(error)), 200) });
    log.add(`[nightshift] ${platformFailure(failure.platform, failure.why)}`);
    return {
      status: failure.timedOut ? "timed_out" : "failed",
      output: boundedTail(log.text(), PROVIDER_OUTPUT_LIMIT),
      version: null,
      state: null,
    };
  }
}

const describe = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause;
  return `${error instanceof Error ? error.message : String(error)}${cause instanceof Error ? ` (${cause.message})` : ""}`;
};

export interface ApiClient {
  platform: PlatformName;
  root: string;
  token: string;
  tokenEnv: string;
  /** What a 404 is about. */
  notFound: NotFound;
  log: StepLog;
  sleep: (ms: number) => Promise<void>;
  /** Per request. */
  timeoutMs?: number;
}

const ANSWER_LIMIT = 1024 * 1024;
/** The longest Retry-After a GET waits out before its next try. */
export const RETRY_AFTER_MAX_S = 60;

/**
 * One JSON request. Answers outside 2xx become a PlatformError with the cause; a 2xx body is parsed
 * with `schema` (a mismatch is `bad_answer`). GETs are retried (3 tries, backoff) on 429, 5xx and
 * network errors — they are idempotent; a POST is sent once. A 429's Retry-After (seconds) is waited
 * before the next try when it is at most RETRY_AFTER_MAX_S; a longer one fails at once (saying so).
 */
export async function callApi<T>(
  api: ApiClient,
  req: { method: "GET" | "POST"; path: string; query?: Record<string, string | null>; body?: unknown },
  schema: z.ZodType<T>,
): Promise<T> {
  const url = new URL(api.root + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== null) url.searchParams.set(k, v);
  const tries = req.method === "GET" ? 3 : 1;
  let last: PlatformError | null = null;
  let pause: number | null = null;
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (attempt > 1) await api.sleep(pause ?? 500 * 2 ** (attempt - 2));
    pause = null;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetch(url, {
        method: req.method,
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: "application/json",
          ...(req.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        redirect: "manual",
        signal: AbortSignal.timeout(api.timeoutMs ?? 30_000),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      text = response.body ? (await readLimited(response.body, ANSWER_LIMIT)).text : "";
    } catch (error) {
      last = new PlatformError(api.platform, {
        kind: "unreachable",
        detail: boundedText(oneLine(describe(error)), 200),
      });
      continue;
    }
    api.log.add(`[${api.platform}] ${req.method} ${url.pathname} → HTTP ${status}`);
    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        throw new PlatformError(api.platform, { kind: "bad_answer", detail: "not JSON" });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw new PlatformError(api.platform, {
          kind: "bad_answer",
          detail: boundedText(
            oneLine(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")),
            200,
          ),
        });
      return parsed.data;
    }
    const detail = errorDetail(text);
    if (detail) api.log.add(`[${api.platform}] ${detail}`);
    if (status === 401 || status === 403)
      throw new PlatformError(api.platform, { kind: "unauthorized", status, tokenEnv: api.tokenEnv });
    if (status === 404) throw new PlatformError(api.platform, { kind: "not_found", what: api.notFound });
    if (isRedirect(status))
      throw new PlatformError(api.platform, { kind: "http_error", status, detail: "redirect not followed" });
    if (status === 429) {
      const seconds = retryAfter && /^\d{1,6}$/.test(retryAfter) ? retryAfter : null;
      last = new PlatformError(api.platform, { kind: "rate_limited", retryAfter: seconds });
      if (seconds !== null && Number(seconds) > RETRY_AFTER_MAX_S) break;
      if (seconds !== null) pause = Number(seconds) * 1000;
      continue;
    }
    if (status >= 500) {
      last = new PlatformError(api.platform, { kind: "server_error", status });
      continue;
    }
    throw new PlatformError(api.platform, { kind: "http_error", status, detail: detail || `HTTP ${status}` });
  }
  throw last!;
}

/** `{ "error": { "message": "…" } }` (Vercel), `{ "error": { "message" } }` / `{ "message" }`: one line. */
function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown; code?: unknown }; message?: unknown };
    const m = j.error?.message ?? j.message;
    return typeof m === "string" ? boundedText(oneLine(m), 200) : "";
  } catch {
    return "";
  }
}

/** Polls `check` every `pollMs` until it returns a value, or throws `timed_out` after `timeoutMs`. */
export async function waitFor<T>(
  platform: PlatformName,
  opts: { timeoutMs: number; pollMs: number; sleep: (ms: number) => Promise<void>; now?: () => number },
  check: () => Promise<T | null>,
): Promise<T> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (now() >= deadline)
      throw new PlatformError(platform, { kind: "timed_out", minutes: opts.timeoutMs / 60_000 }, true);
    await opts.sleep(opts.pollMs);
  }
}

/**
 * The progress callback a platform calls at each poll of a long wait (the caller throttles what it
 * shows). A failing callback never fails the deploy: the progress line is a courtesy.
 */
export function progressReporter(
  platform: PlatformName,
  onProgress: ((progress: TargetProgress) => Promise<void>) | undefined,
): (stage: TargetStage) => Promise<void> {
  return async (stage) => {
    if (!onProgress) return;
    try {
      await onProgress({ platform, stage });
    } catch {
      // the caller logs its own failures; the deploy goes on
    }
  };
}

export const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
