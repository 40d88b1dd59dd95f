import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Vitest's default keeps one core for its main process, which only collects results here: on a
    // two-core machine that ran every test file on one worker, one after another.
    maxWorkers: availableParallelism(),
  },
});
