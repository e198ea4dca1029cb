/**
 * Which tools an agent may use (docs/tool-restrictions.md): one pure function over the launch's request, the
 * profile's `allowedTools` and `role`, and the custom roles. Precedence: requested (`["*"]` for yolo) > profile
 * `allowedTools` > `role` > the developer role.
 */
import type { AgentProfile } from "../../providers/provider.js";
import { ALL_TOOLS, BUILT_IN_ROLES, DEFAULT_ROLE, vocabularyProblem } from "../../providers/tool-vocabulary.js";
import { ValidationError } from "../../util/validate.js";

export interface ToolAccess {
  /** The resolved list, in the vocabulary; `["*"]` when unrestricted. */
  allowed: string[];
  /** Where it came from. */
  source: "requested" | "profile" | "role" | "default";
  /** The role it came from (source `role` or `default`). */
  role?: string;
}

export interface ResolveToolsInput {
  /** The launch's `allowed_tools` / `--allowed-tools` / `["*"]` for yolo; undefined when it named none. */
  requested?: readonly string[] | undefined;
  profile: AgentProfile;
  /** Custom roles from settings.json (`roles`). */
  customRoles?: Readonly<Record<string, readonly string[]>>;
}

/** The resolved tool access; a ValidationError (400) names the field of a bad list or an unknown role. */
export function resolveToolAccess(input: ResolveToolsInput): ToolAccess {
  const { profile } = input;
  const extra = profile.extra ?? {};
  const role = extra.role;
  if (role !== undefined && (typeof role !== "string" || role === ""))
    throw new ValidationError(`agent profile ${profile.name}: role must be a non-empty string`);
  const roleTools = role === undefined ? undefined : toolsOfRole(role, profile.name, input.customRoles ?? {});
  const withServers = (allowed: string[]) => withProfileServers(allowed, profile);

  if (input.requested !== undefined)
    return { allowed: withServers(checkedList(input.requested, "allowed_tools")), source: "requested" };
  if (extra.allowedTools !== undefined)
    return {
      allowed: withServers(checkedList(extra.allowedTools, `agent profile ${profile.name}: allowedTools`)),
      source: "profile",
    };
  if (roleTools !== undefined) return { allowed: withServers(roleTools), source: "role", role: role as string };
  return { allowed: withServers([...BUILT_IN_ROLES[DEFAULT_ROLE]!]), source: "default", role: DEFAULT_ROLE };
}

function toolsOfRole(
  role: string,
  profileName: string,
  customRoles: Readonly<Record<string, readonly string[]>>,
): string[] {
  // Built-in names win over a custom role of the same name, as in the Python CAO.
  const tools = BUILT_IN_ROLES[role] ?? (Object.hasOwn(customRoles, role) ? customRoles[role] : undefined);
  if (tools === undefined) {
    const custom = Object.keys(customRoles);
    throw new ValidationError(
      `agent profile ${profileName}: unknown role "${role}" (built-in roles: ${Object.keys(BUILT_IN_ROLES).join(", ")}` +
        `${custom.length ? `; custom roles: ${custom.join(", ")}` : '; custom roles go in settings.json under "roles"'})`,
    );
  }
  return [...tools];
}

/** A tool list as given: an array of vocabulary names, or a 400 naming `field` and the first bad entry. */
export function checkedList(list: unknown, field: string): string[] {
  if (!Array.isArray(list)) throw new ValidationError(`${field} must be a list of tool names`);
  for (const entry of list) {
    const problem = vocabularyProblem(entry);
    if (problem) throw new ValidationError(`${field}: ${problem}`);
  }
  return [...new Set(list as string[])];
}

/** The profile's own MCP servers are its tools too (`@name`), unless the list is already unrestricted. */
function withProfileServers(allowed: string[], profile: AgentProfile): string[] {
  if (allowed.includes(ALL_TOOLS)) return [ALL_TOOLS];
  const servers = Object.keys(profile.mcpServers ?? {}).map((name) => `@${name}`);
  return [...allowed, ...servers.filter((server) => !allowed.includes(server))];
}
