/**
 * A profile file's text → AgentProfile (docs/contract.md, "Agent profiles"): YAML front matter between `---` lines,
 * then the system prompt. Fields CAO reads are checked here, so a wrong type is a 400 naming the file and the field
 * rather than a launch that half works.
 */
import { parse as parseYaml } from "yaml";
import type { AgentProfile, McpServerConfig } from "../providers/provider.js";
import { ValidationError } from "../util/validate.js";
import { expandVariables, type Lookup } from "./expand-vars.js";

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)([\s\S]*)$/;

/** The raw front matter (unexpanded) and body of a profile's text. */
export function splitProfile(text: string, file: string): { meta: Record<string, unknown>; body: string } {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { meta: {}, body: text };
  let meta: unknown;
  try {
    meta = parseYaml(match[1]!);
  } catch (error) {
    throw new ValidationError(
      `agent profile ${file} has invalid YAML front matter: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  if (meta === null || meta === undefined) meta = {};
  if (typeof meta !== "object" || Array.isArray(meta))
    throw new ValidationError(`agent profile ${file}: the front matter must be a map of keys to values`);
  return { meta: meta as Record<string, unknown>, body: match[2]! };
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function mcpServers(value: unknown, file: string): Record<string, McpServerConfig> {
  const bad = (field: string, want: string) => new ValidationError(`agent profile ${file}: ${field} must be ${want}`);
  if (!isMap(value)) throw bad("mcpServers", "a map of server name to {command, args?, env?}");
  for (const [name, server] of Object.entries(value)) {
    const field = `mcpServers.${name}`;
    if (!isMap(server)) throw bad(field, "a map {command, args?, env?}");
    if (typeof server.command !== "string" || server.command === "")
      throw bad(`${field}.command`, "a non-empty string");
    if (server.args !== undefined && !(Array.isArray(server.args) && server.args.every((a) => typeof a === "string")))
      throw bad(`${field}.args`, "a list of strings");
    if (
      server.env !== undefined &&
      !(isMap(server.env) && Object.values(server.env).every((v) => typeof v === "string"))
    )
      throw bad(`${field}.env`, "a map of variable name to string");
  }
  return value as Record<string, McpServerConfig>;
}

/**
 * The profile `name` from `text`, read from `file`; `${VAR}` in its front matter is looked up with `lookup` (none
 * given: placeholders stay as written).
 */
export function parseProfile(name: string, text: string, file = name, lookup?: Lookup): AgentProfile {
  const split = splitProfile(text, file);
  const meta = (lookup ? expandVariables(split.meta, lookup, file) : split.meta) as Record<string, unknown>;
  const { name: _ignored, description, provider, model, mcpServers: servers, ...extra } = meta;
  for (const [field, value] of Object.entries({ description, provider, model }))
    if (value !== undefined && value !== null && typeof value !== "string")
      throw new ValidationError(`agent profile ${file}: ${field} must be a string (got ${JSON.stringify(value)})`);
  const skills = extra.skills;
  if (skills !== undefined && skills !== null && !(Array.isArray(skills) && skills.every((s) => typeof s === "string")))
    throw new ValidationError(`agent profile ${file}: skills must be a list of skill names or patterns`);
  const profile: AgentProfile = {
    name,
    description: typeof description === "string" ? description : "",
    systemPrompt: split.body.trim(),
    extra,
  };
  if (typeof provider === "string") profile.provider = provider;
  if (typeof model === "string") profile.model = model;
  if (servers !== undefined && servers !== null) profile.mcpServers = mcpServers(servers, file);
  return profile;
}
