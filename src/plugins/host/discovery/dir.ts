import fs from "node:fs";
import path from "node:path";
import type { DiscoveryResult, PluginSource } from "./source.js";

/** Extensions loaded from the drop-in directory, in the order an `index.<ext>` is preferred. */
export const DROP_IN_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"] as const;

/** Whether a file name directly in the plugins dir is a plugin (not a declaration, dotfile, test or other file). */
export function isDropInFile(fileName: string): boolean {
  if (fileName.startsWith(".")) return false;
  if (/\.d\.[mc]?ts$/.test(fileName)) return false;
  if (/\.(test|spec)\./.test(fileName)) return false;
  return (DROP_IN_EXTENSIONS as readonly string[]).includes(path.extname(fileName));
}

export function dropInName(fileName: string): string {
  return fileName.slice(0, fileName.length - path.extname(fileName).length);
}

/** The entry of a drop-in sub-folder: its `index.<ext>`, if any. */
export function folderEntry(dir: string): string | undefined {
  for (const ext of DROP_IN_EXTENSIONS) {
    const file = path.join(dir, `index${ext}`);
    try {
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // next extension
    }
  }
  return undefined;
}

/**
 * Lists drop-in plugins: `<dir>/<name>.<ext>` and `<dir>/<name>/index.<ext>`, sorted by file name so the
 * outcome of a name clash (`a.ts` beside `a.js`) is the same on every machine.
 */
export function discoverDropIns(dir: string): DiscoveryResult {
  const result: DiscoveryResult = { sources: [], problems: [] };
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      result.problems.push({ path: dir, reason: `cannot read the plugins directory: ${(error as Error).message}` });
    }
    return result;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const source = dropInSource(full, entry);
    if (source) result.sources.push(source);
  }
  return result;
}

/** The drop-in at `full` (a file directly in the dir, or a folder with an index), or undefined if it is none. */
export function dropInSource(full: string, entry?: fs.Dirent): PluginSource | undefined {
  const fileName = path.basename(full);
  if (fileName.startsWith(".") || fileName === "node_modules") return undefined;
  let isDirectory: boolean;
  try {
    isDirectory = entry && !entry.isSymbolicLink() ? entry.isDirectory() : fs.statSync(full).isDirectory();
  } catch {
    return undefined; // dangling symlink or gone already
  }
  if (isDirectory) {
    const index = folderEntry(full);
    return index ? { name: fileName, source: "dir", entry: index, path: full } : undefined;
  }
  return isDropInFile(fileName) ? { name: dropInName(fileName), source: "dir", entry: full, path: full } : undefined;
}
