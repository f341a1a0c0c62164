// A check is a command (exit 0 = ok; argv, never a shell; run like a deploy target: own process
// group, scrubbed env, group kill on timeout, settles when it exits) or an HTTP GET (expected
// status; redirects are not followed).
import type { CheckResult, RunCheck } from "../../app/ports.js";
import type { Check } from "../../config.js";
import { cleanText, oneLine, tailCodePoints } from "../../core/text.js";
import { outsideText } from "../../i18n/index.js";
import { runProcess } from "../process/spawn.js";
import { fetchAnswer } from "./http-answer.js";

export type { CheckResult };

/** Code points of output kept; the detail shows its last line. */
const OUTPUT_LIMIT = 2000;
const T = outsideText.check;
const DETAIL_LIMIT = 300;

/** The RunCheck port. */
export const runCheck: RunCheck = async (check, options = {}) =>
  check.type === "http" ? httpCheck(check) : commandCheck(check, options);

async function httpCheck(check: Extract<Check, { type: "http" }>): Promise<CheckResult> {
  try {
    const answer = await fetchAnswer(
      check.url,
      {
        ...(check.authorization ? { headers: { authorization: check.authorization } } : {}),
        signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
      },
      { readBody: false },
    );
    if (answer.redirectHost !== null && answer.status !== check.expectStatus)
      return { ok: false, detail: T.redirected(answer.status, answer.redirectHost) };
    return answer.status === check.expectStatus
      ? { ok: true, detail: `HTTP ${answer.status}` }
      : { ok: false, detail: T.unexpectedStatus(answer.status, check.expectStatus) };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      ok: false,
      detail: timedOut ? T.timedOut(check.timeoutSeconds) : T.unreachable(oneLine((error as Error).message)),
    };
  }
}

async function commandCheck(
  check: Extract<Check, { type: "command" }>,
  options: { cwd?: string; env?: Record<string, string> },
): Promise<CheckResult> {
  const result = await runProcess({
    argv: check.command,
    cwd: options.cwd,
    env: options.env,
    withheldEnv: check.withheldEnv,
    timeoutMs: check.timeoutSeconds * 1000,
    outputLimit: OUTPUT_LIMIT,
  });
  if (result.outcome === "not_started") return { ok: false, detail: T.notStarted(cleanText(result.error ?? "")) };
  if (result.outcome === "timed_out") return { ok: false, detail: T.timedOut(check.timeoutSeconds) };
  const lines = result.output.split("\n").map(oneLine).filter(Boolean);
  const last = lines.at(-1) ?? "";
  const tail = last === "…(truncated)" ? "" : tailCodePoints(last, DETAIL_LIMIT);
  if (result.code === 0) return { ok: true, detail: tail || "exit 0" };
  return { ok: false, detail: `exit ${result.code ?? result.signal}${tail ? `:${tail}` : ""}` };
}
