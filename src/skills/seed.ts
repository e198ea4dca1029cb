/**
 * The skills CAO ships (`skill-store/` of the package) are copied into `$CAO_HOME/skills/` when the server starts,
 * each only if no skill of that name is there: a user's edits of a seeded skill are kept, and
 * an upgrade adds the new ones (docs/skills.md, "Built-in skills").
 */
import fs from "node:fs";
import path from "node:path";
import { packagePath } from "../util/package-root.js";
import { hasSkillFile } from "./skill-file.js";

export const BUILTIN_SKILL_DIR = packagePath("skill-store");

/** Copies the missing built-in skills into `storeDir`; returns the names copied. */
export function seedBuiltinSkills(storeDir: string, from = BUILTIN_SKILL_DIR): string[] {
  const seeded: string[] = [];
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const destination = path.join(storeDir, entry.name);
    if (!entry.isDirectory() || !hasSkillFile(source) || fs.existsSync(destination)) continue;
    fs.mkdirSync(storeDir, { recursive: true });
    // Staged and renamed: a server stopped mid-copy leaves no half skill that would never be seeded again.
    const staging = fs.mkdtempSync(path.join(storeDir, `.${entry.name}.`));
    try {
      fs.cpSync(source, path.join(staging, entry.name), { recursive: true });
      fs.renameSync(path.join(staging, entry.name), destination);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    seeded.push(entry.name);
  }
  return seeded;
}
