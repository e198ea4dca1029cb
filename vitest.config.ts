import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: run two files at a time; tests that touch tmux or timing stay robust under that load.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
