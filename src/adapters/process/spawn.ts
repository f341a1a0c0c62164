// One way to run an outside command (deploy targets and command checks alike): argv without a
// shell, in its own process group, with the bot's secrets withheld from its environment. On the
// timeout the whole group gets SIGTERM, then SIGKILL after a bound. The run settles when the
// command EXITS: helpers it left behind (`sleep 600 &`) are terminated with the group, and a
// helper still holding stdout/stderr cannot keep the run open. Output is decoded across chunk
// borders, cleaned (no NUL, no lone surrogates) and bounded.
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { boundedTail, cleanText, tailCodePoints } from "../../core/text.js";

/** The bot's own secrets: never handed to a command, whatever the configuration says. */
export const BOT_SECRET_ENV: readonly string[] = [
  "BOT_TOKEN",
  "WEBHOOK_SECRET",
  "ANALYZER_API_KEY",
  "DATABASE_URL",
  "TEST_DATABASE_URL",
  "SLACK_WEBHOOK_URL",
];

/** After SIGTERM (timeout, or leftovers once the command exited), SIGKILL follows after this bound. */
export const KILL_GRACE_MS = 2000;

export interface ProcessRun {
  /** argv[0] is the executable (looked up in PATH when bare). */
  argv: readonly string[];
  cwd?: string | undefined;
  /** Added to the scrubbed environment (wins over the bot's own variables). */
  env?: Record<string, string> | undefined;
  /** More variable names to withhold (the pipeline's `secretEnv`, `…Env` names). */
  withheldEnv?: readonly string[] | undefined;
  /** Written to stdin, then closed; undefined = no stdin. */
  stdin?: string | undefined;
  timeoutMs: number;
  /** Code points kept from the end of stdout+stderr, and of stdout alone. */
  outputLimit: number;
  killGraceMs?: number;
}

export interface ProcessResult {
  /** exited: `code`/`signal` tell how; timed_out: killed at the timeout; not_started: `error` says why. */
  outcome: "exited" | "timed_out" | "not_started";
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, cleaned, its tail bounded to `outputLimit` (`…(truncated)` first). */
  output: string;
  /** stdout alone, cleaned, its last `outputLimit` code points. */
  stdout: string;
  error: string | null;
  pid: number | null;
}

/** The bot's environment without its secrets (and without the names given), plus `extra`. */
export function scrubbedEnv(
  extra: Record<string, string> = {},
  withheld: readonly string[] = [],
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const hidden = new Set([...BOT_SECRET_ENV, ...withheld]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !hidden.has(k)) env[k] = v;
  return Object.assign(env, extra);
}

/** Keeps roughly the last `limit` code points of decoded text; cleaned on read. */
function tail(limit: number) {
  let text = "";
  let cut = false;
  return {
    push(chunk: string) {
      text += chunk;
      // Trim with slack: `limit` code points take at most 2·limit UTF-16 units.
      if (text.length > limit * 4) {
        text = tailCodePoints(text, limit * 2);
        cut = true;
      }
    },
    value: (): string => {
      const bounded = boundedTail(text, limit);
      return cut && !bounded.startsWith("…(truncated)") ? `…(truncated)\n${tailCodePoints(bounded, limit)}` : bounded;
    },
    raw: (): string => cleanText(tailCodePoints(text, limit)),
  };
}

export function runProcess(run: ProcessRun): Promise<ProcessResult> {
  const [file, ...args] = run.argv;
  const grace = run.killGraceMs ?? KILL_GRACE_MS;
  const output = tail(run.outputLimit);
  const stdout = tail(run.outputLimit);
  const result = (
    outcome: ProcessResult["outcome"],
    extra: Partial<Omit<ProcessResult, "outcome" | "output" | "stdout">> = {},
  ): ProcessResult => ({
    outcome,
    code: null,
    signal: null,
    error: null,
    pid: null,
    ...extra,
    output: output.value(),
    stdout: stdout.raw(),
  });
  if (!file) return Promise.resolve(result("not_started", { error: "empty command" }));

  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms));

    // detached: its own process group (pgid = pid), so the group can be signalled as a whole.
    const child = spawn(file, args, {
      cwd: run.cwd,
      env: scrubbedEnv(run.env, run.withheldEnv),
      stdio: [run.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      shell: false,
      detached: true,
    });
    const pid = child.pid ?? null;
    const killGroup = (signal: NodeJS.Signals) => {
      if (pid === null) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is gone
      }
    };

    const finish = (value: ProcessResult) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      // Whatever still holds the pipes is not waited for.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      resolve(value);
    };
    const settle = () => {
      if (settled || !exited) return;
      if (timedOut) return finish(result("timed_out", { ...exited, pid }));
      finish(result("exited", { ...exited, pid }));
    };

    // Decoded per stream: a multi-byte character split across chunks stays whole.
    const decoders = { out: new StringDecoder("utf8"), err: new StringDecoder("utf8") };
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = decoders.out.write(chunk);
      output.push(text);
      stdout.push(text);
    });
    child.stderr?.on("data", (chunk: Buffer) => output.push(decoders.err.write(chunk)));
    child.stdin?.on("error", () => {}); // a command that does not read stdin closes it: EPIPE is fine
    child.stdin?.end(run.stdin);

    later(run.timeoutMs, () => {
      timedOut = true;
      killGroup("SIGTERM");
      later(grace, () => killGroup("SIGKILL"));
    });
    child.on("error", (error) => {
      if (exited) return;
      finish(result("not_started", { error: cleanText(error.message), pid }));
    });
    child.on("close", () => {
      closed = true;
      const rest = decoders.out.end();
      output.push(rest + decoders.err.end());
      stdout.push(rest);
      settle();
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      // Helpers it left in its group go too: SIGTERM now, SIGKILL after the bound.
      killGroup(timedOut ? "SIGKILL" : "SIGTERM");
      const kill = setTimeout(() => killGroup("SIGKILL"), grace);
      kill.unref();
      if (closed) return settle();
      // Give the pipes the bound to drain; then stop waiting for whoever holds them.
      later(grace, () => {
        killGroup("SIGKILL");
        settle();
      });
    });
  });
}
