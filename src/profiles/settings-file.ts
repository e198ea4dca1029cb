/**
 * Extra profile and skill directories from settings.json (docs/profiles.md, "Settings"). The format is the Python
 * CAO's, so its users' `~/.aws/cli-agent-orchestrator/settings.json` carries over: both files are read, ours first.
 */
import fs from "node:fs";
import path from "node:path";

export interface DirectorySettings {
  /** `agents.dirs` (or the older flat `agent_dirs`): provider → directory, each scanned for profiles. */
  agentDirs: Record<string, string>;
  /** `agents.extra_dirs` (or `extra_agent_dirs`): more profile directories. */
  extraAgentDirs: string[];
  /** `agents.disabled_dirs` (or `disabled_agent_dirs`): directories left out of the profile lookup. */
  disabledAgentDirs: string[];
  /** `skills.extra_dirs` (or `extra_skill_dirs`): more skill directories, each scanned one level deep. */
  extraSkillDirs: string[];
  /** Settings files that exist but could not be read, with the reason (they count as empty). */
  problems: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Non-empty strings of a list, trimmed; anything else in a hand-edited file is ignored rather than fatal. */
function strings(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === "string" && item.trim() !== "").map((d) => d.trim());
}

/** The nested key the Python CAO writes now, else the flat key it wrote before. */
function nestedOrFlat(settings: Json, section: string, key: string, flat: string): unknown {
  const nested = settings[section];
  if (isObject(nested) && key in nested) return nested[key];
  return settings[flat];
}

function readSettings(file: string, problems: string[]): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {}; // no settings file: nothing extra
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return parsed;
    problems.push(`${file}: not a JSON object`);
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
  }
  return {};
}

/** A directory as written in settings: `~` is the given home; a relative one is taken from the settings file's directory. */
function resolveDir(dir: string, file: string, homeDir: string): string {
  if (dir === "~" || dir.startsWith("~/")) return path.join(homeDir, dir.slice(1));
  return path.resolve(path.dirname(file), dir);
}

/** The settings of the given files merged in order (first file's entries first, duplicates dropped). */
export function readDirectorySettings(files: string[], homeDir: string): DirectorySettings {
  const result: DirectorySettings = {
    agentDirs: {},
    extraAgentDirs: [],
    disabledAgentDirs: [],
    extraSkillDirs: [],
    problems: [],
  };
  const add = (list: string[], dirs: string[], file: string) => {
    for (const dir of dirs) {
      const resolved = resolveDir(dir, file, homeDir);
      if (!list.includes(resolved)) list.push(resolved);
    }
  };
  for (const file of files) {
    const settings = readSettings(file, result.problems);
    const agentDirs = nestedOrFlat(settings, "agents", "dirs", "agent_dirs");
    if (isObject(agentDirs)) {
      for (const [provider, dir] of Object.entries(agentDirs))
        if (typeof dir === "string" && dir.trim() && !(provider in result.agentDirs))
          result.agentDirs[provider] = resolveDir(dir.trim(), file, homeDir);
    }
    add(result.extraAgentDirs, strings(nestedOrFlat(settings, "agents", "extra_dirs", "extra_agent_dirs")), file);
    add(
      result.disabledAgentDirs,
      strings(nestedOrFlat(settings, "agents", "disabled_dirs", "disabled_agent_dirs")),
      file,
    );
    add(result.extraSkillDirs, strings(nestedOrFlat(settings, "skills", "extra_dirs", "extra_skill_dirs")), file);
  }
  return result;
}
