// A check is a command (exit 0 = ok; argv, never a shell) or an HTTP GET (expected status).
import { spawn } from "node:child_process";
import type { Check } from "../../config.js";

export interface CheckResult {
  ok: boolean;
  detail: string;
}

const OUTPUT_LIMIT = 2000;

export async function runCheck(
  check: Check,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CheckResult> {
  return check.type === "http" ? httpCheck(check) : commandCheck(check, options);
}

async function httpCheck(check: Extract<Check, { type: "http" }>): Promise<CheckResult> {
  try {
    const response = await fetch(check.url, { signal: AbortSignal.timeout(check.timeoutSeconds * 1000) });
    await response.body?.cancel();
    return response.status === check.expectStatus
      ? { ok: true, detail: `HTTP ${response.status}` }
      : { ok: false, detail: `HTTP ${response.status}（預期 ${check.expectStatus}）` };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      ok: false,
      detail: timedOut ? `逾時（${check.timeoutSeconds}s）` : `無法連線：${(error as Error).message}`,
    };
  }
}

function commandCheck(
  check: Extract<Check, { type: "command" }>,
  options: { cwd?: string; env?: Record<string, string> },
): Promise<CheckResult> {
  return new Promise((resolve) => {
    const [file, ...args] = check.command;
    if (!file) return resolve({ ok: false, detail: "empty command" });
    let output = "";
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      shell: false,
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), check.timeoutSeconds * 1000);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `無法執行：${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim().split("\n").at(-1) ?? "";
      if (signal) resolve({ ok: false, detail: `逾時（${check.timeoutSeconds}s）` });
      else resolve({ ok: code === 0, detail: code === 0 ? tail || "exit 0" : `exit ${code}${tail ? `:${tail}` : ""}` });
    });
  });
}
