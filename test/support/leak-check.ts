// The end-of-run check (a vitest globalSetup in every config): the run fails if a process it started
// is still alive. A process belongs to the run when it descends from the vitest main process, or
// when it carries this run's marker in its environment: a child the suite spawned whose parent
// died (a bot killed with SIGKILL leaves its deploy scripts to init), or one vitest's exited
// worker left behind, is no longer a descendant but still carries the marker.
import { readdirSync, readFileSync } from "node:fs";

/** Set in the environment of the whole run; test/support/process.ts passes it to every child. */
export const RUN_MARKER = "NIGHTSHIFT_TEST_RUN";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** `R`, `S`, `Z` (exited, not yet reaped: not alive) … */
  state: string;
  command: string;
}

/** Every process on the machine (Linux /proc); processes that vanish while being read are skipped. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may contain spaces and parentheses
      const close = stat.lastIndexOf(")");
      const [state = "?", ppid = "0"] = stat.slice(close + 2).split(" ");
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      const command = argv.length ? argv.join(" ") : `[${stat.slice(stat.indexOf("(") + 1, close)}]`;
      out.push({ pid: Number(entry), ppid: Number(ppid), state, command });
    } catch {}
  }
  return out;
}

function hasMarker(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`${RUN_MARKER}=${marker}`);
  } catch {
    return false;
  }
}

/**
 * Live processes of a run: descendants of `root`, plus (with `marker`) any process carrying the
 * marker, minus `root` itself, its ancestors and `ignore`. Zombies are not alive.
 */
export function runProcesses(options: { root: number; marker?: string; ignore?: ReadonlySet<number> }): ProcessInfo[] {
  const all = listProcesses();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const ancestors = new Set<number>();
  for (let p = byPid.get(options.root); p && !ancestors.has(p.pid); p = byPid.get(p.ppid)) ancestors.add(p.pid);
  const descends = (p: ProcessInfo): boolean => {
    const seen = new Set<number>();
    for (let q: ProcessInfo | undefined = p; q && !seen.has(q.pid); q = byPid.get(q.ppid)) {
      if (q.ppid === options.root) return true;
      seen.add(q.pid);
    }
    return false;
  };
  return all.filter(
    (p) =>
      p.state !== "Z" &&
      !ancestors.has(p.pid) &&
      !options.ignore?.has(p.pid) &&
      (descends(p) || (options.marker !== undefined && hasMarker(p.pid, options.marker))),
  );
}

/** One line per process, for the failure report. */
export const describeProcesses = (list: ProcessInfo[]): string =>
  list.map((p) => `  pid ${p.pid} (parent ${p.ppid}, ${p.state}): ${p.command.slice(0, 300)}`).join("\n");

const GRACE_MS = 3_000;

/** globalSetup: marks the run; the teardown fails it (exit code 1) if any of its processes is alive. */
export default function setup(): () => Promise<void> {
  const marker = `${process.pid}-${Date.now()}`;
  process.env[RUN_MARKER] = marker;
  const root = process.pid;
  // vitest's own helpers started before this setup (e.g. an esbuild service) are not the suite's
  const before = new Set(runProcesses({ root }).map((p) => p.pid));
  return async () => {
    // processes the last tests stopped may still be exiting
    const until = Date.now() + GRACE_MS;
    let left = runProcesses({ root, marker, ignore: before });
    while (left.length && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = runProcesses({ root, marker, ignore: before });
    }
    if (left.length === 0) return;
    process.stderr.write(
      `\nFAIL: ${left.length} process(es) started by the test run are still alive ` +
        `(every spawned process must be awaited until it has exited; see test/support/process.ts):\n` +
        `${describeProcesses(left)}\nKilling them now.\n`,
    );
    for (const p of left) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {}
    }
    process.exitCode = 1;
  };
}
