// The end-of-run leak check can fail: deliberately leaked processes are found (as descendants, and
// through the run marker once orphaned), reported, killed, and the run's exit code set to 1.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import setupLeakCheck, { RUN_MARKER, runProcesses } from "./leak-check.js";

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readStat(pid));
const readStat = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
};
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  expect(alive(pid), `pid ${pid} still alive`).toBe(false);
}

describe("the end-of-run leak check", () => {
  const savedMarker = process.env[RUN_MARKER];
  afterEach(() => {
    if (savedMarker === undefined) delete process.env[RUN_MARKER];
    else process.env[RUN_MARKER] = savedMarker;
    vi.restoreAllMocks();
  });

  it("finds a child still running, and no longer once it has been awaited", async () => {
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    const exited = new Promise((resolve) => sleeper.once("exit", resolve));
    const pids = () => runProcesses({ root: process.pid }).map((p) => p.pid);
    expect(pids()).toContain(sleeper.pid);
    sleeper.kill("SIGKILL");
    await exited;
    expect(pids()).not.toContain(sleeper.pid);
  });

  it("finds an orphan (its parent exited) only through the run marker", async () => {
    const marker = `leak-test-${process.pid}-${Date.now()}`;
    const shell = spawn("sh", ["-c", "sleep 60 >/dev/null 2>&1 & echo $!"], {
      env: { PATH: process.env.PATH ?? "", [RUN_MARKER]: marker },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    shell.stdout.on("data", (c) => {
      out += c;
    });
    await new Promise((resolve) => shell.once("close", resolve));
    const orphan = Number(out.trim());
    try {
      expect(alive(orphan)).toBe(true);
      expect(runProcesses({ root: process.pid }).map((p) => p.pid)).not.toContain(orphan);
      const found = runProcesses({ root: process.pid, marker }).find((p) => p.pid === orphan);
      expect(found?.command).toBe("sleep 60");
    } finally {
      process.kill(orphan, "SIGKILL");
    }
    await gone(orphan);
  });

  it("fails the run, naming and killing what was left behind", async () => {
    const teardown = setupLeakCheck(); // as vitest's main process would, here rooted at this worker
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const leaked = spawn("sleep", ["61"], { stdio: "ignore" });
    const exited = new Promise((resolve) => leaked.once("exit", resolve));
    const before = process.exitCode;
    try {
      await teardown();
      expect(process.exitCode).toBe(1);
      const report = stderr.mock.calls.map((c) => String(c[0])).join("");
      expect(report).toContain("FAIL: 1 process(es) started by the test run are still alive");
      expect(report).toContain(`pid ${leaked.pid} `);
      expect(report).toContain("sleep 61");
      await exited; // the check killed it
    } finally {
      process.exitCode = before;
      leaked.kill("SIGKILL");
    }
  });

  it("passes when every process has exited", async () => {
    const teardown = setupLeakCheck();
    const stderr = vi.spyOn(process.stderr, "write");
    const child = spawn("true", { stdio: "ignore" });
    await new Promise((resolve) => child.once("exit", resolve));
    const before = process.exitCode;
    await teardown();
    expect(process.exitCode).toBe(before);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).not.toContain("FAIL");
  });
});
