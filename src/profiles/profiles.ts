import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { AgentProfile, McpServerConfig } from "../providers/provider.js";
import { packagePath } from "../util/package-root.js";
import { CaoPaths } from "../util/paths.js";
import { NAME, ValidationError } from "../util/validate.js";

export const BUILTIN_PROFILE_DIR = packagePath("agent-store");

/**
 * Agent profiles are markdown files with YAML front matter; the body is the system prompt. Local profiles in
 * `$CAO_HOME/agent-store/` come first, so a user can override a built-in by name.
 */
export class ProfileStore {
  constructor(private readonly caoHome: string) {}

  private dirs(): string[] {
    return [CaoPaths.of(this.caoHome).agentStore, BUILTIN_PROFILE_DIR];
  }

  /** The profile, or a 400 naming the profiles that exist. */
  load(name: string): AgentProfile {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new ValidationError(`agent_profile must be 1-64 letters, digits, '-' or '_' (got ${JSON.stringify(name)})`);
    }
    for (const dir of this.dirs()) {
      const file = path.join(dir, `${name}.md`);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        continue;
      }
      return parseProfile(name, text, file);
    }
    throw new ValidationError(`unknown agent profile "${name}"; available: ${this.names().join(", ") || "(none)"}`);
  }

  names(): string[] {
    const names = new Set<string>();
    for (const dir of this.dirs()) {
      try {
        for (const file of fs.readdirSync(dir))
          if (file.endsWith(".md") && NAME.test(file.slice(0, -3))) names.add(file.slice(0, -3));
      } catch {
        // a missing directory has no profiles
      }
    }
    return [...names].sort();
  }
}

export function parseProfile(name: string, text: string, file = name): AgentProfile {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  let meta: Record<string, unknown> = {};
  let body = text;
  if (match) {
    try {
      meta = (parseYaml(match[1]!) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ValidationError(`agent profile ${file} has invalid YAML front matter: ${(error as Error).message}`);
    }
    body = match[2]!;
  }
  const { name: _ignored, description, provider, model, mcpServers, ...extra } = meta;
  const profile: AgentProfile = {
    name,
    description: typeof description === "string" ? description : "",
    systemPrompt: body.trim(),
    extra,
  };
  if (typeof provider === "string") profile.provider = provider;
  if (typeof model === "string") profile.model = model;
  if (mcpServers && typeof mcpServers === "object") profile.mcpServers = mcpServers as Record<string, McpServerConfig>;
  return profile;
}
