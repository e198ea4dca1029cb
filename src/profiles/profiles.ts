import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AgentProfile } from "../providers/provider.js";
import type { Env } from "../util/env.js";
import { CaoPaths } from "../util/paths.js";
import { NAME, ValidationError } from "../util/validate.js";
import { readEnvFile } from "./env-file.js";
import type { Lookup } from "./expand-vars.js";
import { parseProfile } from "./parse-profile.js";
import { directorySettings, profileDirs, type ProfileDir } from "./profile-dirs.js";
import type { DirectorySettings } from "./settings-file.js";

export { BUILTIN_PROFILE_DIR } from "./profile-dirs.js";
export { parseProfile } from "./parse-profile.js";

/** An agent profile name no directory holds: a 404 on `GET /agents/profiles/:name`, a 400 where a launch names it. */
export class ProfileNotFoundError extends ValidationError {}

/** Where one profile was found. */
export interface ProfileFile {
  name: string;
  file: string;
  dir: ProfileDir;
}

/** A row of the profile list: where it comes from, and its summary or why it does not load. */
export interface ProfileListing {
  name: string;
  file: string;
  dir: ProfileDir;
  /** Other directories that hold the same name (shadowed by this one). */
  shadows: ProfileDir[];
  profile?: AgentProfile;
  error?: string;
}

export interface ProfileStoreOptions {
  /** The server's environment: `${VAR}` values, HOME and CAO_HOME_DIR (for the Python CAO's directories). */
  env?: Env;
  /** Appends what every launched agent should know to its system prompt (the skill catalog, docs/skills.md). */
  launchPrompt?: (profile: AgentProfile) => string;
}

/**
 * Agent profiles are markdown files with YAML front matter; the body is the system prompt. The directories and their
 * order are in profile-dirs.ts; the store reads them at each call, so a profile added on disk is found at once.
 */
export class ProfileStore {
  private readonly paths: CaoPaths;
  private readonly env: Env;

  constructor(
    caoHome: string,
    private readonly options: ProfileStoreOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.paths = CaoPaths.withPythonHome(caoHome, this.env);
  }

  /** `$CAO_HOME/settings.json`: custom roles live there too (docs/tool-restrictions.md). */
  get settingsFile(): string {
    return this.paths.settings;
  }

  private get homeDir(): string {
    return this.env.HOME || os.homedir();
  }

  dirs(): ProfileDir[] {
    return profileDirs(this.paths, this.homeDir).dirs;
  }

  /** The directories named by the settings files (docs/profiles.md, "Settings files"). */
  settings(): DirectorySettings {
    return directorySettings(this.paths, this.homeDir);
  }

  /** `${VAR}`: the server's environment first, then `$CAO_HOME/.env`, then the Python CAO's `.env`. */
  variables(): Lookup {
    let files: Record<string, string> | undefined;
    return (name) => {
      const value = this.env[name];
      if (value !== undefined) return value;
      files ??= {
        ...readEnvFile(path.join(this.paths.pythonHome, ".env")),
        ...readEnvFile(this.paths.envFile),
      };
      return files[name];
    };
  }

  /** The profile's file, or undefined. */
  find(name: string): ProfileFile | undefined {
    assertProfileName(name);
    for (const dir of this.dirs()) {
      const file = profileFileIn(dir, name);
      if (file) return { name, file, dir };
    }
    return undefined;
  }

  /** The profile, or a 400 naming the file and field that do not parse (404-flavoured when no directory has it). */
  load(name: string): AgentProfile {
    const found = this.find(name);
    if (!found)
      throw new ProfileNotFoundError(
        `unknown agent profile "${name}"; available: ${this.names().join(", ") || "(none)"}`,
      );
    return parseProfile(name, fs.readFileSync(found.file, "utf8"), found.file, this.variables());
  }

  /** The profile as an agent is launched with it: its system prompt followed by the launch prompt (skill catalog). */
  loadForLaunch(name: string): AgentProfile {
    const profile = this.load(name);
    const extra = this.options.launchPrompt?.(profile).trim();
    if (!extra) return profile;
    return { ...profile, systemPrompt: [profile.systemPrompt, extra].filter(Boolean).join("\n\n") };
  }

  /** Every profile name with where it is found first, sorted by name; each parsed, or with its error. */
  list(): ProfileListing[] {
    const found = new Map<string, ProfileListing>();
    for (const dir of this.dirs()) {
      for (const name of namesIn(dir)) {
        const seen = found.get(name);
        if (seen) {
          seen.shadows.push(dir);
          continue;
        }
        found.set(name, { name, file: profileFileIn(dir, name)!, dir, shadows: [] });
      }
    }
    const lookup = this.variables();
    return [...found.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((listing) => {
        try {
          return {
            ...listing,
            profile: parseProfile(listing.name, fs.readFileSync(listing.file, "utf8"), listing.file, lookup),
          };
        } catch (error) {
          return { ...listing, error: (error as Error).message };
        }
      });
  }

  names(): string[] {
    return this.list().map((listing) => listing.name);
  }
}

export function assertProfileName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !NAME.test(name))
    throw new ValidationError(`agent_profile must be 1-64 letters, digits, '-' or '_' (got ${JSON.stringify(name)})`);
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `<dir>/<name>.md`, or `<dir>/<name>/agent.md` where nested profiles count. */
function profileFileIn(dir: ProfileDir, name: string): string | undefined {
  const flat = path.join(dir.dir, `${name}.md`);
  if (isFile(flat)) return flat;
  const nested = path.join(dir.dir, name, "agent.md");
  if (dir.nested && isFile(nested)) return nested;
  return undefined;
}

function namesIn(dir: ProfileDir): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir.dir, { withFileTypes: true });
  } catch {
    return []; // a missing directory has no profiles
  }
  const names: string[] = [];
  for (const entry of entries) {
    const name = entry.name.endsWith(".md") ? entry.name.slice(0, -3) : entry.name;
    if (!NAME.test(name) || names.includes(name)) continue;
    if (profileFileIn(dir, name)) names.push(name);
  }
  return names;
}
