import fs from "node:fs";
import path from "node:path";

/** The real path of `file` (symlinks resolved), or its absolute path when it cannot be resolved (gone, no access). */
export function safeRealpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
