/**
 * One skill: a directory named after the skill holding `SKILL.md`, whose front matter has a non-empty `name` (the
 * directory's name) and `description`, and whose body is the skill's content (docs/skills.md).
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ValidationError } from "../util/validate.js";

export interface Skill {
  name: string;
  description: string;
  /** The markdown body, trimmed: what `load_skill` returns. */
  content: string;
  /** The skill's directory. */
  dir: string;
}

/** A skill that is not where its name says: a 404 on `GET /skills/:name`. */
export class SkillNotFoundError extends Error {
  readonly statusCode = 404;
}

/** Skill names become directory names: empty, `/`, `\`, `..` and control characters are refused (as the Python CAO). */
export function assertSkillName(name: unknown, what = "skill name"): asserts name is string {
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim())
    throw new ValidationError(
      `${what} must be a non-empty name without surrounding spaces (got ${JSON.stringify(name)})`,
    );
  if (name.includes("/") || name.includes("\\") || name.includes("..") || /[\u0000-\u001f\u007f]/.test(name))
    throw new ValidationError(
      `invalid ${what} ${JSON.stringify(name)}: it must not contain '/', '\\', '..' or control characters`,
    );
  if (name.length > 128) throw new ValidationError(`${what} is ${name.length} characters; the limit is 128`);
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)([\s\S]*)$/;

/** The skill in directory `dir`; a ValidationError names the file and field that are wrong. */
export function readSkillDir(dir: string): Skill {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new SkillNotFoundError(`skill folder does not exist: ${dir}`);
  }
  if (!stat.isDirectory()) throw new ValidationError(`skill path is not a directory: ${dir}`);
  const file = path.join(dir, "SKILL.md");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ValidationError(`skill folder ${dir} has no SKILL.md`);
  }
  const match = FRONT_MATTER.exec(text);
  if (!match) throw new ValidationError(`skill ${file} has no front matter (--- name, description ---)`);
  let meta: unknown;
  try {
    meta = parseYaml(match[1]!);
  } catch (error) {
    throw new ValidationError(
      `skill ${file} has invalid YAML front matter: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const fields = (typeof meta === "object" && meta !== null ? meta : {}) as Record<string, unknown>;
  for (const field of ["name", "description"]) {
    const value = fields[field];
    if (typeof value !== "string" || value.trim() === "")
      throw new ValidationError(`skill ${file}: ${field} must be a non-empty string`);
  }
  const name = (fields.name as string).trim();
  assertSkillName(name, `skill ${file}: name`);
  if (path.basename(dir) !== name)
    throw new ValidationError(`skill ${file}: name "${name}" does not match its folder name "${path.basename(dir)}"`);
  return { name, description: (fields.description as string).trim(), content: match[2]!.trim(), dir };
}

/** Whether `dir` holds a SKILL.md (a directory without one is not a skill, and is skipped silently). */
export function hasSkillFile(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, "SKILL.md")).isFile();
  } catch {
    return false;
  }
}
