// setupFiles: after each test file, the processes the file's worker started must have exited.
// (The end-of-run check in leak-check.ts cannot see a child once its worker has exited and it has
// been re-parented, unless it carries the run marker; this one sees it while the worker lives.)
import { afterAll } from "vitest";
import { describeProcesses, runProcesses } from "./leak-check.js";

afterAll(async () => {
  const until = Date.now() + 3_000;
  let left = runProcesses({ root: process.pid });
  while (left.length && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = runProcesses({ root: process.pid });
  }
  if (left.length === 0) return;
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
  throw new Error(
    `this test file left ${left.length} process(es) running (killed now; await every process you spawn, ` +
      `see test/support/process.ts):\n${describeProcesses(left)}`,
  );
}, 10_000);
