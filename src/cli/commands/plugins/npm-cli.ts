import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CommandError } from "../../usage.js";

/**
 * npm's own CLI against `$CAO_HOME` as its prefix: the packages land in `$CAO_HOME/node_modules` (which the server
 * scans) and npm records them in `$CAO_HOME/package.json`, so whatever npm accepts (registry names and ranges, git
 * URLs, local folders, tarballs) and however the user configured npm (registry, auth, proxy) just works.
 */
export function runNpm(caoHome: string, args: string[]): void {
  fs.mkdirSync(caoHome, { recursive: true });
  const result = spawnSync("npm", [...args, "--prefix", caoHome, "--no-audit", "--no-fund"], {
    stdio: ["ignore", "inherit", "inherit"],
    // npm is npm.cmd on Windows, which only a shell runs.
    shell: process.platform === "win32",
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new CommandError(
      missing ? "npm was not found on PATH (it comes with Node.js)" : `could not run npm: ${result.error.message}`,
    );
  }
  if (result.status !== 0)
    throw new CommandError(`npm ${args[0]} failed (exit ${result.status ?? result.signal}; npm's output is above)`);
}

/** `$CAO_HOME/package.json`'s dependencies (name → spec as npm wrote it); empty before the first install. */
export function installedDependencies(caoHome: string): Record<string, string> {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(caoHome, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    return { ...manifest.dependencies };
  } catch {
    return {};
  }
}

/** The keywords of an installed package, or undefined when its package.json cannot be read. */
export function installedKeywords(caoHome: string, name: string): string[] | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(caoHome, "node_modules", name, "package.json"), "utf8")) as {
      keywords?: unknown;
    };
    return Array.isArray(manifest.keywords) ? manifest.keywords.map(String) : [];
  } catch {
    return undefined;
  }
}
