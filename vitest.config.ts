import { defineConfig } from "vitest/config";

/**
 * Tests that start real processes (`npm run test:e2e`, vitest.e2e.config.ts): the bot itself; the
 * platform providers, which run fake `wrangler`/`ssh` executables (the ssh one runs the remote
 * script in a temporary git repository) or whole flows against fake Vercel/Northflank servers; and
 * the spawn helper's own tests through command targets and command checks (process groups killed
 * at their timeout, output limits, the environment a child gets).
 */
export const E2E_TESTS = [
  "test/e2e/**/*.test.ts",
  "test/windows/interrupted.test.ts",
  "test/platforms/**/*.test.ts",
  "test/deploy/run-target.test.ts",
  "test/checks/run-check.test.ts",
];

// `npm test`: everything in-process (PGlite, plus Postgres with TEST_DATABASE_URL).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/chaos/**", ...E2E_TESTS, "node_modules/**"],
    globalSetup: ["test/support/leak-check.ts", "test/support/global-setup.ts"],
    setupFiles: ["test/support/leak-check-file.ts"],
    // Hang guards, not speed targets: generous enough for a loaded 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    // Test files share a worker's module cache: every file opens its own database and bot, and
    // re-importing the app per file cost ~45 s of a ~140 s run on 2 cores (now ~90 s).
    isolate: false,
  },
});
