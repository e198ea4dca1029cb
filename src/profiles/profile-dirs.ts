/**
 * Where profiles are looked up, in order (docs/profiles.md, "Lookup"): CAO's own store, the Python CAO's store, the
 * provider and extra directories of settings.json, then the built-in store. The first directory holding a name wins.
 */
import path from "node:path";
import { packagePath } from "../util/package-root.js";
import type { CaoPaths } from "../util/paths.js";
import { readDirectorySettings, type DirectorySettings } from "./settings-file.js";

export const BUILTIN_PROFILE_DIR = packagePath("agent-store");

export interface ProfileDir {
  dir: string;
  /** What `GET /agents/profiles` shows as `source`: `local`, `python`, a provider's label, `custom` or `built-in`. */
  source: string;
  /** Whether `<name>/agent.md` counts as a profile here (the settings directories, as in the Python CAO). */
  nested: boolean;
}

/** The Python CAO's labels for its per-provider directories. */
const PROVIDER_LABELS: Record<string, string> = {
  kiro_cli: "kiro",
  claude_code: "claude_code",
  codex: "codex",
  cao_installed: "installed",
};

/** The settings files that name directories: CAO's own, then the Python CAO's. */
export function directorySettings(paths: CaoPaths, homeDir: string): DirectorySettings {
  return readDirectorySettings([paths.settings, path.join(paths.pythonHome, "settings.json")], homeDir);
}

export function profileDirs(paths: CaoPaths, homeDir: string): { dirs: ProfileDir[]; problems: string[] } {
  const settings = directorySettings(paths, homeDir);
  const disabled = new Set(settings.disabledAgentDirs);
  const dirs: ProfileDir[] = [];
  const add = (dir: string, source: string, nested: boolean) => {
    const resolved = path.resolve(dir);
    if (disabled.has(resolved) || dirs.some((d) => d.dir === resolved)) return;
    dirs.push({ dir: resolved, source, nested });
  };
  add(paths.agentStore, "local", false);
  add(path.join(paths.pythonHome, "agent-store"), "python", false);
  for (const [provider, dir] of Object.entries(settings.agentDirs))
    add(dir, PROVIDER_LABELS[provider] ?? provider, true);
  for (const dir of settings.extraAgentDirs) add(dir, "custom", true);
  add(BUILTIN_PROFILE_DIR, "built-in", false);
  return { dirs, problems: settings.problems };
}
