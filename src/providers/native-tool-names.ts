/**
 * Each CLI's own names for the vocabulary's tool categories (docs/tool-restrictions.md), as its hooks report them and
 * (where the CLI has such flags) as its allow/deny flags take them. Used both ways: a resolved list becomes native
 * names for a launch's flags, and a hook's tool name becomes a vocabulary name for the server's check.
 */
import {
  BUILT_IN_ROLES,
  DEFAULT_ROLE,
  grantedCategories,
  TOOL_CATEGORIES,
  type ToolCategory,
  type ToolKind,
} from "./tool-vocabulary.js";

export interface NativeToolNames {
  /** The native names of each category; a name sits in one category only. */
  readonly categories: Readonly<Record<ToolCategory, readonly string[]>>;
  /** The MCP server a native tool name belongs to, or undefined when it is not an MCP tool. */
  mcpServerOf(toolName: string, servers: readonly string[]): string | undefined;
}

/**
 * `mcp__<server>__<tool>` (Claude Code, Codex, Qwen Code). Codex spells the server with `_` for each character a
 * function name cannot hold (`mcp__cao_mcp_server__handoff`), so both spellings name it.
 */
const doubleUnderscore = (toolName: string, servers: readonly string[]) =>
  servers.find(
    (server) =>
      toolName.startsWith(`mcp__${server}__`) || toolName.startsWith(`mcp__${server.replace(/[^A-Za-z0-9_]/g, "_")}__`),
  ) ?? (toolName.startsWith("mcp__") ? toolName.slice(5).split("__")[0] : undefined);

/** `<prefix><server><separator><tool>` for CLIs that join names with one character (Gemini, Copilot, opencode). */
const joined =
  (prefix: string, separator: string) =>
  (toolName: string, servers: readonly string[]): string | undefined =>
    servers.find((server) => toolName.startsWith(`${prefix}${server}${separator}`));

// prettier-ignore
export const CLAUDE_TOOL_NAMES: NativeToolNames = {
  categories: {
    // Everything that can run a program gates with execute_bash: a subagent (Task, renamed Agent) has its own shell,
    // Monitor runs scripts; without this a shell-less agent would still reach one.
    execute_bash: ["Bash", "BashOutput", "KillShell", "Task", "Agent", "Monitor"],
    fs_read: ["Read", "NotebookRead"],
    fs_write: ["Edit", "MultiEdit", "Write", "NotebookEdit"],
    fs_list: ["Glob", "Grep", "LS"],
    web_fetch: ["WebFetch", "WebSearch"],
  },
  mcpServerOf: doubleUnderscore,
};

/** Codex's hooks report its shell as Bash (exec_command underneath) and its file edits as apply_patch. */
// prettier-ignore
export const CODEX_TOOL_NAMES: NativeToolNames = {
  categories: {
    execute_bash: ["Bash", "exec_command", "shell", "local_shell", "write_stdin"],
    fs_read: [],
    fs_write: ["apply_patch"],
    fs_list: [],
    web_fetch: ["web_search"],
  },
  mcpServerOf: doubleUnderscore,
};

// prettier-ignore
export const GEMINI_TOOL_NAMES: NativeToolNames = {
  categories: {
    execute_bash: ["run_shell_command"],
    fs_read: ["read_file", "read_many_files"],
    fs_write: ["write_file", "replace"],
    fs_list: ["list_directory", "glob", "search_file_content", "grep_search"],
    web_fetch: ["web_fetch", "google_web_search"],
  },
  mcpServerOf: joined("mcp_", "_"),
};

// prettier-ignore
export const QWEN_TOOL_NAMES: NativeToolNames = {
  categories: {
    execute_bash: ["run_shell_command"],
    fs_read: ["read_file", "read_many_files"],
    fs_write: ["write_file", "edit", "replace"],
    fs_list: ["list_directory", "glob", "grep_search", "search_file_content"],
    web_fetch: ["web_fetch", "web_search"],
  },
  mcpServerOf: doubleUnderscore,
};

// prettier-ignore
export const COPILOT_TOOL_NAMES: NativeToolNames = {
  categories: {
    execute_bash: ["bash", "powershell", "write_bash", "write_powershell", "read_bash", "stop_bash"],
    fs_read: ["view"],
    fs_write: ["create", "edit", "str_replace_editor", "apply_patch"],
    fs_list: ["glob", "grep", "rg"],
    web_fetch: ["web_fetch"],
  },
  mcpServerOf: joined("", "-"),
};

// prettier-ignore
export const OPENCODE_TOOL_NAMES: NativeToolNames = {
  categories: {
    execute_bash: ["bash"],
    fs_read: ["read"],
    fs_write: ["write", "edit", "multiedit", "patch"],
    fs_list: ["list", "glob", "grep"],
    web_fetch: ["webfetch", "websearch"],
  },
  mcpServerOf: joined("", "_"),
};

/** What a native tool name is in the vocabulary; `servers` are the MCP servers the agent was given. */
export function kindOfTool(names: NativeToolNames, toolName: string, servers: readonly string[]): ToolKind {
  // An MCP tool first: a server's tool may share a name with a built-in one after the prefix.
  const server = names.mcpServerOf(toolName, servers);
  if (server !== undefined) return { kind: "mcp", server };
  for (const category of TOOL_CATEGORIES)
    if (names.categories[category].includes(toolName)) return { kind: "category", category };
  return { kind: "builtin" };
}

/** The native names `allowed` grants, and those of the other categories (denied); each name once, sorted. */
export function nativeSplit(
  names: NativeToolNames,
  allowed: readonly string[],
): { granted: string[]; withheld: string[] } {
  const categories = grantedCategories(allowed);
  const granted = new Set<string>();
  const all = new Set<string>();
  for (const category of TOOL_CATEGORIES)
    for (const name of names.categories[category]) {
      all.add(name);
      if (categories.has(category)) granted.add(name);
    }
  return { granted: [...granted].sort(), withheld: [...all].filter((name) => !granted.has(name)).sort() };
}

/** The resolved list a launch carries, or the developer role's when a caller built its context without one. */
export function allowedToolsOf(context: { allowedTools?: readonly string[] | undefined }): readonly string[] {
  return context.allowedTools ?? BUILT_IN_ROLES[DEFAULT_ROLE]!;
}
