/**
 * CAO's tool vocabulary (docs/tool-restrictions.md): the names a profile's `allowedTools`, a role and a launch's
 * `allowed_tools` use, whatever the CLI. Pure: providers map it to their CLI's flags, the server's hook check maps the
 * CLI's native tool names back to it.
 */

/** The tool categories with native counterparts; `fs_*` stands for the three fs_ ones. */
export const TOOL_CATEGORIES = ["execute_bash", "fs_read", "fs_write", "fs_list", "web_fetch"] as const;
export type ToolCategory = (typeof TOOL_CATEGORIES)[number];

/** Everything, unrestricted (yolo). */
export const ALL_TOOLS = "*";
/** The CLI's own tools that no category names (todo lists, planning, …). */
export const BUILTIN_TOOLS = "@builtin";
/** CAO's own MCP server (handoff, assign, send_message, …). */
export const CAO_MCP_SERVER = "cao-mcp-server";

/** The built-in roles, as the Python CAO ships them: a role is a named allowedTools list. */
export const BUILT_IN_ROLES: Readonly<Record<string, readonly string[]>> = {
  supervisor: ["@cao-mcp-server", "fs_read", "fs_list"],
  developer: ["@builtin", "fs_*", "execute_bash", "web_fetch", "@cao-mcp-server"],
  reviewer: ["@builtin", "fs_read", "fs_list", "@cao-mcp-server"],
};

/** The role a profile that names neither `role` nor `allowedTools` gets. */
export const DEFAULT_ROLE = "developer";

/** An MCP server reference: `@` and a server name as the profile's mcpServers key spells it. */
const MCP_REFERENCE = /^@[A-Za-z0-9_.-]+$/;

/** Why `entry` is not a vocabulary name, or undefined when it is one. */
export function vocabularyProblem(entry: unknown): string | undefined {
  if (typeof entry !== "string") return `${JSON.stringify(entry)} is not a string`;
  if (entry === ALL_TOOLS || entry === "fs_*" || (TOOL_CATEGORIES as readonly string[]).includes(entry)) return;
  if (MCP_REFERENCE.test(entry)) return;
  return `unknown tool "${entry}" (known: ${[...TOOL_CATEGORIES, "fs_*", "@builtin", "@<mcp server>", "*"].join(", ")})`;
}

/** The categories a list grants (`fs_*` expanded); all of them for `*`. */
export function grantedCategories(allowed: readonly string[]): Set<ToolCategory> {
  if (allowed.includes(ALL_TOOLS)) return new Set(TOOL_CATEGORIES);
  const granted = new Set<ToolCategory>();
  for (const entry of allowed) {
    if (entry === "fs_*") ["fs_read", "fs_write", "fs_list"].forEach((c) => granted.add(c as ToolCategory));
    else if ((TOOL_CATEGORIES as readonly string[]).includes(entry)) granted.add(entry as ToolCategory);
  }
  return granted;
}

/** The MCP servers a list grants by `@name` (not `@builtin`). */
export function grantedMcpServers(allowed: readonly string[]): string[] {
  return allowed.filter((entry) => entry.startsWith("@") && entry !== BUILTIN_TOOLS).map((entry) => entry.slice(1));
}

/** What a CLI-native tool name is, in the vocabulary. */
export type ToolKind =
  | { kind: "category"; category: ToolCategory }
  | { kind: "mcp"; server: string }
  /** A tool of the CLI's own that no category names. */
  | { kind: "builtin" };

/** Whether `allowed` (a resolved list) lets a tool of this kind run. */
export function allows(allowed: readonly string[], tool: ToolKind): boolean {
  if (allowed.includes(ALL_TOOLS)) return true;
  switch (tool.kind) {
    case "category":
      return grantedCategories(allowed).has(tool.category);
    case "mcp":
      return allowed.includes(`@${tool.server}`);
    case "builtin":
      return allowed.includes(BUILTIN_TOOLS);
  }
}

/** The vocabulary name of a tool kind, for messages (`fs_write`, `@cao-mcp-server`, `@builtin`). */
export function vocabularyName(tool: ToolKind): string {
  return tool.kind === "category" ? tool.category : tool.kind === "mcp" ? `@${tool.server}` : BUILTIN_TOOLS;
}
