import { defineConfig } from "vitest/config";
import { E2E_TESTS } from "./vitest.config.js";

// `npm run test:e2e`: the real process — `node --import tsx src/main.ts`, the compiled build, the
// sandbox CLI — over HTTP against the strict fake Bot API. One file at a time: each starts bots.
export default defineConfig({
  test: {
    include: E2E_TESTS,
    globalSetup: ["test/support/leak-check.ts", "test/support/global-setup.ts"],
    setupFiles: ["test/support/leak-check-file.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
