// The one way tests start processes: every child is tracked, and awaited until it has exited
// (SIGTERM, then SIGKILL after a bound). Children still running when a test file ends are stopped
// by an afterAll registered here, and the run's end-of-run check (test/support/leak-check.ts)
// fails the run if any process outlives it.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { RUN_MARKER } from "./leak-check.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** How long `stop()` waits after SIGTERM before SIGKILL: longer than the bot's own 25 s stop bound. */
export const STOP_GRACE_MS = 35_000;

export interface SpawnedProcess {
  child: ChildProcess;
  /** stdout and stderr as they arrived. */
  output: () => string;
  /** stdout alone. */
  stdout: () => string;
  /** Resolves with the first output line matching (rejects after `ms`, or if the process exits first). */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  /** The exit code (null when ended by a signal), once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** SIGTERM, SIGKILL after `graceMs`, then awaits the exit; returns the exit code (null if killed). */
  stop: (graceMs?: number) => Promise<number | null>;
  kill9: () => Promise<void>;
}

export interface SpawnOptions {
  /** The whole environment of the child (nothing else is inherited but PATH, HOME and the run marker). */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
}

const live = new Set<SpawnedProcess>();

/** Stops every process this test file started and has not stopped yet. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

// Safety net: a failed test must not leave its processes behind.
afterAll(stopAllProcesses, STOP_GRACE_MS + 10_000);

export function spawnProcess(command: string, args: string[], options: SpawnOptions = {}): SpawnedProcess {
  const marker = process.env[RUN_MARKER];
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ...(marker ? { [RUN_MARKER]: marker } : {}),
      ...options.env,
    },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) {
    child.stdin!.on("error", () => {}); // the child may exit before reading it all
    child.stdin!.end(options.input);
  }
  let output = "";
  let stdout = "";
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const w of [...watchers]) {
      const match = output.split("\n").find((line) => w.pattern.test(line));
      if (match) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(match);
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    onData(chunk);
  });
  child.stderr!.on("data", onData);
  // Settle on `exit` (a grandchild holding the pipes must not keep it open), then give the pipes a
  // moment to deliver what the child wrote last.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const bound = setTimeout(resolve, 1_000, code);
      void closed.then(() => {
        clearTimeout(bound);
        resolve(code);
      });
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle: SpawnedProcess = {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    waitFor: (pattern, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const match = output.split("\n").find((line) => pattern.test(line));
        if (match) return resolve(match);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), ms);
        watchers.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited while waiting for ${pattern}; output:\n${output}`));
        });
      }),
    stop: async (graceMs = STOP_GRACE_MS) => {
      if (running()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          if (running()) child.kill("SIGKILL");
        }, graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return exited;
    },
    kill9: async () => {
      if (running()) child.kill("SIGKILL");
      await exited;
    },
  };
  live.add(handle);
  void exited.finally(() => live.delete(handle)).catch(() => {});
  return handle;
}

/**
 * Runs a command to its end and returns its exit code and output. If it has not exited after
 * `boundMs` (generous: a bound against a hang, not a speed target) it is stopped and this throws.
 */
export async function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions & { boundMs?: number } = {},
): Promise<{ code: number | null; output: string; stdout: string }> {
  const p = spawnProcess(command, args, options);
  const bound = options.boundMs ?? 300_000;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(resolve, bound, "hung");
  });
  const result = await Promise.race([p.exited, hung]).finally(() => clearTimeout(timer));
  if (result === "hung") {
    await p.stop(5_000);
    throw new Error(`${command} ${args.join(" ")} did not exit within ${bound} ms; output:\n${p.output()}`);
  }
  return { code: result, output: p.output(), stdout: p.stdout() };
}

/** The type chaos drills and e2e tests pass around: the real bot process. */
export type BotProcess = SpawnedProcess;

/** Starts the real bot process (the README's command, minus npm) with exactly this environment. */
export function startBotProcess(env: Record<string, string>): BotProcess {
  return spawnProcess(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { LOG_LEVEL: "info", ...env } });
}
