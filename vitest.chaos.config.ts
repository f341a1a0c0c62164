import { defineConfig } from "vitest/config";

// The chaos drills (docs/chaos.md): real bot processes, real Postgres, one file at a time.
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.test.ts"],
    globalSetup: ["test/support/leak-check.ts"],
    setupFiles: ["test/support/leak-check-file.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
