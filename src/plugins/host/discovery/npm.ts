import fs from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { safeRealpath } from "../../../util/real-path.js";
import type { DiscoveryResult, PluginSource } from "./source.js";

export const PLUGIN_KEYWORD = "cao-plugin";

interface PackageJson {
  name?: unknown;
  version?: unknown;
  keywords?: unknown;
  main?: unknown;
  exports?: unknown;
  cao?: { plugin?: unknown };
}

/**
 * Finds packages directly inside each `node_modules` root (scoped ones too) whose package.json keywords contain
 * `cao-plugin`. Only package.json files are read, and only those that mention the keyword are parsed, so a large
 * tree costs one glob and a read per package. A package reached twice (two roots, or an `npm link` symlink)
 * counts once, by its real path.
 */
export function discoverNpmPlugins(roots: readonly string[]): DiscoveryResult {
  const result: DiscoveryResult = { sources: [], problems: [] };
  const seenRealPaths = new Set<string>();
  for (const root of roots) {
    let packageDirs: string[];
    try {
      // Directories, not "*/package.json": matching the file would cost one readdir per package; reading
      // <dir>/package.json directly costs one open, and a directory without one is simply skipped.
      packageDirs = fg.sync(["*", "@*/*"], {
        cwd: root,
        absolute: true,
        followSymbolicLinks: true,
        onlyDirectories: true,
        suppressErrors: true,
      });
    } catch {
      continue; // the root vanished between the existence check and the scan
    }
    packageDirs.sort();
    for (const packageDir of packageDirs) {
      const manifest = path.join(packageDir, "package.json");
      let text: string;
      try {
        text = fs.readFileSync(manifest, "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") continue;
        result.problems.push({ path: manifest, reason: `cannot read package.json: ${(error as Error).message}` });
        continue;
      }
      if (!text.includes(PLUGIN_KEYWORD)) continue;
      let pkg: PackageJson;
      try {
        pkg = JSON.parse(text) as PackageJson;
      } catch (error) {
        result.problems.push({ path: manifest, reason: `package.json is not valid JSON: ${(error as Error).message}` });
        continue;
      }
      if (!Array.isArray(pkg.keywords) || !pkg.keywords.includes(PLUGIN_KEYWORD)) continue;
      const dir = path.dirname(manifest);
      const realDir = safeRealpath(dir);
      if (seenRealPaths.has(realDir)) continue;
      seenRealPaths.add(realDir);
      const name =
        typeof pkg.name === "string" && pkg.name ? pkg.name : path.relative(root, dir).split(path.sep).join("/");
      const entry = packageEntry(dir, pkg);
      if (!entry) {
        result.problems.push({
          path: dir,
          reason: `package ${name} has no entry: set "exports", "main" or "cao.plugin"`,
        });
        continue;
      }
      const source: PluginSource = { name, source: "npm", entry, path: dir };
      if (typeof pkg.version === "string") source.version = pkg.version;
      result.sources.push(source);
    }
  }
  return result;
}

/** `cao.plugin` wins, then `exports` (its "." entry, import/node/default conditions), then `main`, then index.js. */
function packageEntry(dir: string, pkg: PackageJson): string | undefined {
  const candidates = [
    typeof pkg.cao?.plugin === "string" ? pkg.cao.plugin : undefined,
    exportsEntry(pkg.exports),
    typeof pkg.main === "string" ? pkg.main : undefined,
    "index.js",
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const file = path.resolve(dir, candidate);
    if (isFile(file)) return file;
    for (const ext of [".js", ".mjs", ".cjs", ".ts"]) if (isFile(file + ext)) return file + ext;
    if (isFile(path.join(file, "index.js"))) return path.join(file, "index.js");
  }
  return undefined;
}

function exportsEntry(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = exportsEntry(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object") {
    const map = value as Record<string, unknown>;
    if ("." in map) return exportsEntry(map["."]);
    for (const condition of ["import", "node", "default", "require"]) {
      if (condition in map) {
        const found = exportsEntry(map[condition]);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
