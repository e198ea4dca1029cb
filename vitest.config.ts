import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite's oxc transform lowers only legacy decorators; test files that use @hook run under that mode here,
  // while tsc type-checks them with standard decorators (and test/decorators.test.ts runs real tsc output of both).
  oxc: { decorator: { legacy: true } },
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ first when src/ is newer, so a bare `npx vitest run` never tests stale compiled code.
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: run two files at a time; tests that touch tmux or timing stay robust under that load.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
