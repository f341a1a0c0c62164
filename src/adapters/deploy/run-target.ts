// Runs one deploy/rollback target: a command (argv, spawn without a shell; data only in env and
// stdin) or a webhook (POST JSON, HMAC-SHA256 signature, Idempotency-Key).
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import type { Target } from "../../config.js";

export interface TargetRun {
  target: Target;
  env: Record<string, string>;
  stdin: string;
  cwd: string;
}

export interface TargetResult {
  status: "succeeded" | "failed" | "timed_out";
  output: string;
  version: string | null;
}

export type RunTarget = (run: TargetRun) => Promise<TargetResult>;

export const OUTPUT_LIMIT = 16 * 1024;
/** After SIGTERM at the timeout, SIGKILL follows if the process group is still there. */
const KILL_GRACE_MS = 2000;
/** A script may leave a daemon holding its stdout open: once it exits, stop waiting soon. */
const CLOSE_AFTER_EXIT_MS = 1000;
/** The bot's own secrets never reach deploy scripts. */
const WITHHELD_ENV = ["BOT_TOKEN", "WEBHOOK_SECRET", "ANALYZER_API_KEY", "DATABASE_URL", "TEST_DATABASE_URL"];

export const runTarget: RunTarget = (run) => (run.target.type === "command" ? runCommand(run) : runWebhook(run));

/** Keeps the last `limit` characters. */
function tailBuffer(limit = OUTPUT_LIMIT) {
  let text = "";
  let cut = false;
  return {
    push(chunk: string) {
      text += chunk;
      if (text.length > limit * 2) {
        text = text.slice(-limit);
        cut = true;
      }
    },
    value: () => (cut || text.length > limit ? `…(truncated)\n${text.slice(-limit)}` : text),
  };
}

/** The last non-empty stdout line `version=<v>` sets the deployed version. */
export function reportedVersion(stdout: string): string | null {
  const last = stdout.trimEnd().split("\n").at(-1)?.trim() ?? "";
  const m = /^version=(\S{1,128})$/.exec(last);
  return m ? m[1]! : null;
}

function runCommand(run: TargetRun): Promise<TargetResult> {
  const target = run.target as Extract<Target, { type: "command" }>;
  const [file, ...args] = target.command;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !WITHHELD_ENV.includes(k)) env[k] = v;
  Object.assign(env, run.env);

  return new Promise((resolve) => {
    const output = tailBuffer();
    const stdout = tailBuffer(4096);
    let settled = false;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (status: TargetResult["status"], note: string) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (note) output.push(`${note}\n`);
      const text = output.value();
      resolve({ status, output: text, version: status === "succeeded" ? reportedVersion(stdout.value()) : null });
    };
    if (!file) return finish("failed", "[nightshift] empty command");

    // detached: the script gets its own process group, so a timeout kills its children too.
    const child = spawn(file, args, {
      cwd: run.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      detached: true,
    });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output.push(text);
      stdout.push(text);
    });
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    child.stdin.on("error", () => {}); // a script that does not read stdin closes it: EPIPE is fine
    child.stdin.end(run.stdin);

    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup("SIGTERM");
        timers.push(setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS));
      }, target.timeoutSeconds * 1000),
    );
    child.on("error", (error) => finish("failed", `[nightshift] cannot run ${file}: ${error.message}`));
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timedOut) return finish("timed_out", `[nightshift] killed after the ${target.timeoutSeconds}s timeout`);
      if (code === 0) return finish("succeeded", "");
      finish("failed", `[nightshift] exit ${code ?? signal}`);
    };
    child.on("exit", (code, signal) => {
      if (timedOut) killGroup("SIGKILL");
      timers.push(setTimeout(() => done(code, signal), CLOSE_AFTER_EXIT_MS));
    });
    child.on("close", done);
  });
}

export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

async function runWebhook(run: TargetRun): Promise<TargetResult> {
  const target = run.target as Extract<Target, { type: "webhook" }>;
  const body = run.stdin;
  const key = [run.env.NIGHTSHIFT_RELEASE_ID, run.env.NIGHTSHIFT_SERVICE].filter(Boolean).join(":");
  try {
    const response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-nightshift-signature": signBody(target.secret, body),
        "idempotency-key": key,
      },
      body,
      signal: AbortSignal.timeout(target.timeoutSeconds * 1000),
    });
    const text = (await response.text()).slice(-OUTPUT_LIMIT);
    const ok = response.status >= 200 && response.status < 300;
    return {
      status: ok ? "succeeded" : "failed",
      output: `HTTP ${response.status}\n${text}`,
      version: ok ? webhookVersion(text) : null,
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      status: timedOut ? "timed_out" : "failed",
      output: timedOut ? `[nightshift] no answer within ${target.timeoutSeconds}s` : `[nightshift] ${String(error)}`,
      version: null,
    };
  }
}

/** A JSON answer `{ "version": "…" }` sets the deployed version. */
function webhookVersion(text: string): string | null {
  try {
    const v = (JSON.parse(text) as { version?: unknown }).version;
    return typeof v === "string" && v.length > 0 && v.length <= 128 ? v : null;
  } catch {
    return null;
  }
}
