/**
 * Vitest global setup: many tests run the compiled package (dist/: `cao server` children, the mock agent, the MCP
 * server, plugins importing `cli-agent-orchestrator/plugins`), others import src/ directly. So that a bare
 * `npx vitest run` never tests stale dist/, this builds (tsc -p tsconfig.build.json) when any src/ module is newer than
 * its compiled file or has none. Checking mtimes costs milliseconds; a build costs seconds even when incremental (see
 * docs/decisions.md), so `npm test`, which has just built, pays nothing here.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/util/package-root.js";

/** src/ modules whose dist/ file is missing or older than them (first `limit` found). */
export function staleModules(root: string, limit = 5): string[] {
  const src = path.join(root, "src");
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (stale.length >= limit) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        const built = path.join(root, "dist", path.relative(src, full)).replace(/\.ts$/, ".js");
        const builtAt = fs.statSync(built, { throwIfNoEntry: false })?.mtimeMs;
        if (builtAt === undefined || fs.statSync(full).mtimeMs > builtAt) stale.push(path.relative(root, full));
      }
    }
  };
  walk(src);
  return stale;
}

/** Whether the dashboard's bundle (dist/dashboard/index.html) is missing or older than a file of dashboard/. */
export function dashboardStale(root: string): boolean {
  const builtAt = fs.statSync(path.join(root, "dist", "dashboard", "index.html"), { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined) return true;
  const newer = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newer(full) : fs.statSync(full).mtimeMs > builtAt;
    });
  return newer(path.join(root, "dashboard"));
}

export default function buildIfStale(): void {
  buildDashboardIfStale();
  const stale = staleModules(PACKAGE_ROOT);
  if (stale.length === 0) return;
  console.log(
    `[global-setup] dist/ is older than ${stale.join(", ")}${stale.length === 5 ? ", …" : ""}: building (tsc -p tsconfig.build.json)`,
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  // A type error still emits; a failed build stops the run here, as `npm test` would.
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: PACKAGE_ROOT, stdio: "inherit" });
  const still = staleModules(PACKAGE_ROOT);
  if (still.length > 0) throw new Error(`the build left dist/ older than ${still.join(", ")}`);
}

function buildDashboardIfStale(): void {
  if (!dashboardStale(PACKAGE_ROOT)) return;
  console.log("[global-setup] the dashboard bundle is older than dashboard/: building (vite build)");
  const vite = path.join(PACKAGE_ROOT, "node_modules", "vite", "bin", "vite.js");
  execFileSync(process.execPath, [vite, "build", "--config", "dashboard/vite.config.ts"], {
    cwd: PACKAGE_ROOT,
    stdio: "inherit",
  });
}
