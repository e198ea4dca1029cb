/**
 * The installed skills (docs/skills.md): `$CAO_HOME/skills/` (where `cao skills add` and seeding write), the Python
 * CAO's skill store, then the `skills.extra_dirs` of settings.json. Each directory is scanned one level deep; for a
 * name, the first folder that loads wins, so a broken copy never hides a good one.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readDirectorySettings } from "../profiles/settings-file.js";
import type { Env } from "../util/env.js";
import { CaoPaths } from "../util/paths.js";
import { ConflictError } from "../util/errors.js";
import { assertSkillName, hasSkillFile, readSkillDir, SkillNotFoundError, type Skill } from "./skill-file.js";

export class SkillStore {
  readonly paths: CaoPaths;
  private readonly env: Env;

  constructor(caoHome: string, env: Env = process.env) {
    this.env = env;
    this.paths = CaoPaths.withPythonHome(caoHome, env);
  }

  /** Where `cao skills add` installs. */
  get storeDir(): string {
    return this.paths.skills;
  }

  /** The Python CAO's skill store, read after ours. */
  get pythonStoreDir(): string {
    return path.join(this.paths.pythonHome, "skills");
  }

  extraDirs(): string[] {
    const files = [this.paths.settings, path.join(this.paths.pythonHome, "settings.json")];
    return readDirectorySettings(files, this.env.HOME || os.homedir()).extraSkillDirs;
  }

  dirs(): string[] {
    const dirs = [this.storeDir, this.pythonStoreDir, ...this.extraDirs()];
    return dirs.filter((dir, i) => dirs.indexOf(dir) === i);
  }

  /** The skill; 404 when no folder has it, 400 when the only folders that have it do not load (the first one's reason). */
  load(name: string): Skill {
    assertSkillName(name);
    let firstError: Error | undefined;
    for (const dir of this.dirs()) {
      const candidate = path.join(dir, name);
      if (!hasSkillFile(candidate)) continue;
      try {
        return readSkillDir(candidate);
      } catch (error) {
        firstError ??= error as Error;
      }
    }
    if (firstError) throw firstError;
    throw new SkillNotFoundError(`Skill not found: ${name}`);
  }

  /** Every skill that loads, sorted by name; `problems` receives the folders that do not. */
  list(problems?: (message: string) => void): Skill[] {
    const found = new Map<string, Skill>();
    for (const dir of this.dirs()) {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // a missing directory has no skills
      }
      for (const entry of entries) {
        const candidate = path.join(dir, entry.name);
        if (found.has(entry.name) || !hasSkillFile(candidate)) continue;
        try {
          found.set(entry.name, readSkillDir(candidate));
        } catch (error) {
          problems?.(`skipping skill folder ${candidate}: ${(error as Error).message}`);
        }
      }
    }
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Copies a skill folder into the store, after checking it; an existing skill is replaced only with `force`. */
  add(source: string, force = false): Skill {
    const skill = readSkillDir(path.resolve(source));
    const destination = path.join(this.storeDir, skill.name);
    if (fs.existsSync(destination) && !force)
      throw new ConflictError(`skill "${skill.name}" already exists in ${this.storeDir}; use --force to replace it`);
    fs.mkdirSync(this.storeDir, { recursive: true });
    // Copied beside the destination first, then swapped in: a failed copy leaves the installed skill as it was.
    const staging = fs.mkdtempSync(path.join(this.storeDir, `.${skill.name}.`));
    try {
      fs.cpSync(skill.dir, path.join(staging, skill.name), { recursive: true });
      fs.rmSync(destination, { recursive: true, force: true });
      fs.renameSync(path.join(staging, skill.name), destination);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    return { ...skill, dir: destination };
  }

  /** Removes a skill from `$CAO_HOME/skills` (skills of other directories are not CAO's to delete). */
  remove(name: string): void {
    assertSkillName(name);
    const dir = path.join(this.storeDir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch {
      throw new SkillNotFoundError(`skill "${name}" is not installed in ${this.storeDir}`);
    }
    if (!stat.isDirectory()) throw new SkillNotFoundError(`${dir} is not a skill folder`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
