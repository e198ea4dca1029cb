import fs from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../../../util/package-root.js";
import { safeRealpath } from "../../../util/real-path.js";
import type { ResolvedOptions } from "../options.js";

/**
 * The node_modules directories scanned for npm plugins (docs/contract.md#plugin-api), existing ones only, each once:
 * $CAO_HOME/node_modules, the node_modules that holds this package, this package's own node_modules,
 * <cwd>/node_modules, then every CAO_PLUGIN_PATHS entry.
 */
export function npmRoots(options: Pick<ResolvedOptions, "caoHome" | "cwd" | "extraNodeModules">): string[] {
  const own = PACKAGE_ROOT;
  const holder = enclosingNodeModules(own);
  const candidates = [
    path.join(options.caoHome, "node_modules"),
    ...(holder ? [holder] : []),
    path.join(own, "node_modules"),
    path.join(options.cwd, "node_modules"),
    ...options.extraNodeModules,
  ];
  const seen = new Set<string>();
  const roots: string[] = [];
  for (const candidate of candidates) {
    if (!isDirectory(candidate)) continue;
    const real = safeRealpath(candidate);
    if (seen.has(real)) continue;
    seen.add(real);
    roots.push(candidate);
  }
  return roots;
}

function enclosingNodeModules(packageRoot: string): string | undefined {
  const parent = path.dirname(packageRoot);
  if (path.basename(parent) === "node_modules") return parent;
  const grandparent = path.dirname(parent);
  if (path.basename(parent).startsWith("@") && path.basename(grandparent) === "node_modules") return grandparent;
  return undefined;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
