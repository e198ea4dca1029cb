import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "cli-agent-orchestrator";

/**
 * The root of this package (the directory holding its package.json): the one place that knows where the package's
 * own files are — dist/ (the MCP server and mock agent it spawns), agent-store/, its node_modules. Found by walking up
 * from this module to the package.json named cli-agent-orchestrator, so it holds from src/util (tests), dist/util
 * (installed) and a copy bundled inside another package's node_modules alike.
 */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package: `packagePath("dist", "mcp", "main.js")`. */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown };
      if (manifest.name === PACKAGE_NAME) return dir;
    } catch {
      // no package.json here, or not JSON: keep walking
    }
    // Not found (a file layout we do not know): src/util and dist/util are both two levels below the root.
    if (path.dirname(dir) === dir) return path.resolve(start, "../..");
  }
}
