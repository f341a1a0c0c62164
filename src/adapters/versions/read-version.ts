// The ReadVersion port: one dispatch over the kinds of `environments.<env>.version` (config/
// pipeline-versions.ts). More kinds (platform providers) join as one more case of readVersionFrom.
//   http     GET without following redirects, the body cut at 64 KiB; `json` picks a value by dot path
//            (a string or a number), else the trimmed body is the version
//   command  argv without a shell through the one spawn helper (own process group, scrubbed env, group
//            kill at the timeout); the last stdout line `version=<v>`, else the trimmed stdout
import type { ReadVersion, VersionRead } from "../../app/ports.js";
import type { VersionProbe } from "../../config.js";
import type { Env } from "../../core/model.js";
import { oneLine, tailCodePoints } from "../../core/text.js";
import { outsideText, platformFailure, versionText } from "../../i18n/index.js";
import { fetchAnswer } from "../checks/http-answer.js";
import { PlatformError } from "../deploy/providers/common.js";
import { readProviderVersion } from "../deploy/providers/version.js";
import { reportedVersion } from "../deploy/run-target.js";
import { runProcess } from "../process/spawn.js";

/** A version longer than this is no version (a page, a stack trace). */
export const VERSION_MAX_CHARS = 200;
const BODY_LIMIT = 64 * 1024;
const OUTPUT_LIMIT = 4000;
const T = versionText.readFailure;

/** The ReadVersion port: reads `probe` once. */
export const readVersionFrom: ReadVersion = async (probe, options) => {
  const result = await dispatch(probe, options.cwd, options.env ?? "uat");
  const readAt = options.now();
  return "version" in result
    ? { ok: true, version: result.version, readAt }
    : { ok: false, error: result.error, readAt };
};

type Outcome = { version: string } | { error: string };

function dispatch(probe: VersionProbe, cwd: string, env: Env): Promise<Outcome> {
  switch (probe.type) {
    case "http":
      return readHttp(probe);
    case "command":
      return readCommand(probe, cwd);
    case "provider":
      return readProvider(probe, env);
  }
}

/** issue 11: the platform's own answer (Vercel's deployment, the Worker version, the build, the tag). */
async function readProvider(probe: Extract<VersionProbe, { type: "provider" }>, env: Env): Promise<Outcome> {
  try {
    return asVersion(await readProviderVersion(probe.target, env));
  } catch (error) {
    if (error instanceof PlatformError) return { error: platformFailure(error.platform, error.why) };
    return { error: outsideText.check.unreachable(oneLine((error as Error).message)) };
  }
}

/** A usable version: one line, not empty, not too long. */
function asVersion(raw: string): Outcome {
  const v = raw.trim();
  if (!v) return { error: T.empty };
  if (/[\r\n]/.test(v) || Array.from(v).length > VERSION_MAX_CHARS)
    return { error: T.notAVersion(tailCodePoints(oneLine(v), 40)) };
  return { version: v };
}

/** The value at a dot path of a JSON document: a string or a finite number. */
export function atDotPath(json: unknown, path: string): string | null {
  let v: unknown = json;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return null;
    v = (v as Record<string, unknown>)[key];
  }
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

async function readHttp(probe: Extract<VersionProbe, { type: "http" }>): Promise<Outcome> {
  try {
    const answer = await fetchAnswer(
      probe.url,
      {
        method: "GET",
        headers: { accept: probe.json ? "application/json" : "text/plain, */*" },
        signal: AbortSignal.timeout(probe.timeoutSeconds * 1000),
      },
      { limit: BODY_LIMIT },
    );
    if (answer.redirectHost !== null)
      return { error: outsideText.check.redirected(answer.status, answer.redirectHost) };
    if (answer.status < 200 || answer.status > 299) return { error: `HTTP ${answer.status}` };
    if (answer.cut) return { error: T.tooLarge };
    if (probe.json === null) return asVersion(answer.text);
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch {
      return { error: T.notJson };
    }
    const value = atDotPath(json, probe.json);
    return value === null ? { error: T.noField(probe.json) } : asVersion(value);
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      error: timedOut
        ? outsideText.check.timedOut(probe.timeoutSeconds)
        : outsideText.check.unreachable(oneLine((error as Error).message)),
    };
  }
}

async function readCommand(probe: Extract<VersionProbe, { type: "command" }>, cwd: string): Promise<Outcome> {
  const result = await runProcess({
    argv: probe.command,
    cwd,
    withheldEnv: probe.withheldEnv,
    timeoutMs: probe.timeoutSeconds * 1000,
    outputLimit: OUTPUT_LIMIT,
  });
  if (result.outcome === "not_started") return { error: outsideText.check.notStarted(oneLine(result.error ?? "")) };
  if (result.outcome === "timed_out") return { error: outsideText.check.timedOut(probe.timeoutSeconds) };
  if (result.code !== 0) {
    const last = result.output.split("\n").map(oneLine).filter(Boolean).at(-1) ?? "";
    return { error: `exit ${result.code ?? result.signal}${last ? `：${tailCodePoints(last, 200)}` : ""}` };
  }
  return asVersion(versionFromStdout(result.stdout));
}

/** The last stdout line `version=<v>` (as deploy targets report it), else the whole trimmed stdout. */
export const versionFromStdout = (stdout: string): string => reportedVersion(stdout) ?? stdout.trim();

export type { VersionRead };
