// Runs one deploy/rollback target: a command (argv, spawn without a shell; data only in env and
// stdin; see ../process/spawn.ts) or a webhook (POST JSON, HMAC-SHA256 signature, Idempotency-Key;
// redirects are failures, answers are size-limited and cleaned). The app's step becomes the target's
// contract (stdin JSON, NIGHTSHIFT_* env) in ./contract.ts.
import { createHmac } from "node:crypto";
import type { RunTarget, TargetResult } from "../../app/ports.js";
import type { Target } from "../../config.js";
import { boundedTail, cleanText } from "../../core/text.js";
import { ANSWER_LIMIT_BYTES, fetchAnswer, sizeLabel } from "../checks/http-answer.js";
import { runProcess } from "../process/spawn.js";

import { deployContract } from "./contract.js";
import { isProviderTarget, runProvider } from "./providers/index.js";

/** A step already in the target's contract: its environment and stdin. */
export interface PreparedRun {
  target: Target;
  env: Record<string, string>;
  stdin: string;
  cwd: string;
}

/** Code points of output kept (its tail). */
export const OUTPUT_LIMIT = 16 * 1024;

/** The RunTarget port: one step of a release, described by the app, run through the contract. */
export const runTarget: RunTarget = (run) =>
  // issue 11: platform targets (vercel, wrangler, northflank, ssh, compose) run in ./providers/.
  isProviderTarget(run.target)
    ? runProvider({
        target: run.target,
        step: run.step,
        env: deployContract(run.step).env,
        ...(run.onProgress ? { onProgress: run.onProgress } : {}),
      })
    : runPrepared({ target: run.target, cwd: run.cwd, ...deployContract(run.step) });

/** Runs a target with the contract's env and stdin. The output is cleaned and bounded to OUTPUT_LIMIT. */
export const runPrepared = (run: PreparedRun): Promise<TargetResult> =>
  run.target.type === "command" ? runCommand(run) : runWebhook(run);

const VERSION = /^\S{1,128}$/u;

/** The last non-empty stdout line `version=<v>` sets the deployed version. */
export function reportedVersion(stdout: string): string | null {
  const last = cleanText(stdout).trimEnd().split("\n").at(-1)?.trim() ?? "";
  const m = /^version=(.*)$/u.exec(last);
  return m && VERSION.test(m[1]!) ? m[1]! : null;
}

async function runCommand(run: PreparedRun): Promise<TargetResult> {
  const target = run.target as Extract<Target, { type: "command" }>;
  const result = await runProcess({
    argv: target.command,
    cwd: run.cwd,
    env: run.env,
    withheldEnv: target.withheldEnv,
    stdin: run.stdin,
    timeoutMs: target.timeoutSeconds * 1000,
    outputLimit: OUTPUT_LIMIT,
  });
  const done = (status: TargetResult["status"], note: string, version: string | null = null): TargetResult => ({
    status,
    output: boundedTail(
      note ? `${result.output}${result.output && !result.output.endsWith("\n") ? "\n" : ""}${note}\n` : result.output,
      OUTPUT_LIMIT,
    ),
    version,
  });
  if (result.outcome === "not_started")
    return done("failed", `[nightshift] cannot run ${target.command[0] ?? "(empty command)"}: ${result.error}`);
  if (result.outcome === "timed_out")
    return done("timed_out", `[nightshift] killed after the ${target.timeoutSeconds}s timeout`);
  if (result.code === 0) return done("succeeded", "", reportedVersion(result.stdout));
  return done("failed", `[nightshift] exit ${result.code ?? result.signal}`);
}

export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

async function runWebhook(run: PreparedRun): Promise<TargetResult> {
  const target = run.target as Extract<Target, { type: "webhook" }>;
  const body = run.stdin;
  const key = [run.env.NIGHTSHIFT_RELEASE_ID, run.env.NIGHTSHIFT_SERVICE].filter(Boolean).join(":");
  try {
    const answer = await fetchAnswer(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-nightshift-signature": signBody(target.secret, body),
        "idempotency-key": key,
      },
      body,
      signal: AbortSignal.timeout(target.timeoutSeconds * 1000),
    });
    if (answer.redirectHost !== null)
      return {
        status: "failed",
        output: `HTTP ${answer.status}\n[nightshift] redirect to ${answer.redirectHost} not followed — a deploy webhook must answer itself (2xx)\n`,
        version: null,
      };
    const ok = answer.status >= 200 && answer.status < 300;
    const note = answer.cut
      ? `\n[nightshift] answer larger than ${sizeLabel(ANSWER_LIMIT_BYTES)}: the rest was not read`
      : "";
    return {
      status: ok ? "succeeded" : "failed",
      output: boundedTail(`HTTP ${answer.status}\n${answer.text}${note}`, OUTPUT_LIMIT),
      version: ok && !answer.cut ? webhookVersion(answer.text) : null,
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      status: timedOut ? "timed_out" : "failed",
      output: timedOut
        ? `[nightshift] no answer within ${target.timeoutSeconds}s`
        : boundedTail(`[nightshift] ${describeError(error)}`, OUTPUT_LIMIT),
      version: null,
    };
  }
}

/** A JSON answer `{ "version": "…" }` sets the deployed version (one word, 1–128 characters, cleaned). */
function webhookVersion(text: string): string | null {
  try {
    const v = (JSON.parse(text) as { version?: unknown }).version;
    if (typeof v !== "string") return null;
    const clean = cleanText(v).trim();
    return VERSION.test(clean) ? clean : null;
  } catch {
    return null;
  }
}

/** `TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:9)`: the cause says what happened. */
export function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const why = cause instanceof Error ? ` (${cause.message})` : "";
  return cleanText(`${String(error)}${why}`);
}
