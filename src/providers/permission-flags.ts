/**
 * The permission flags of the CLIs other than Claude Code (docs/tool-restrictions.md, per-provider table): each one's
 * bypass only for an unrestricted agent (`*`, yolo), otherwise its normal mode with the allowed tools pre-approved
 * where the CLI can say so. What a flag cannot say, the server's hook check enforces.
 */
import { allowedToolsOf, GEMINI_TOOL_NAMES, nativeSplit, QWEN_TOOL_NAMES } from "./native-tool-names.js";
import type { LaunchContext } from "./provider.js";
import { ALL_TOOLS, grantedCategories, grantedMcpServers } from "./tool-vocabulary.js";

const unrestricted = (context: LaunchContext) => allowedToolsOf(context).includes(ALL_TOOLS);

/**
 * Codex has no per-tool flags: its sandbox follows whether the agent may change anything, and it never asks (it would
 * ask before each MCP tool call, CAO's own included, with no way to pre-approve a server); a command the sandbox
 * refuses fails back to the model. The per-tool part of the list is the hook check's.
 */
export function codexPermissionArgs(context: LaunchContext): string[] {
  if (unrestricted(context)) return ["--dangerously-bypass-approvals-and-sandbox"];
  const granted = grantedCategories(allowedToolsOf(context));
  const changes = granted.has("fs_write") || granted.has("execute_bash");
  return ["--ask-for-approval", "never", "--sandbox", changes ? "workspace-write" : "read-only"];
}

/**
 * Copilot's permission kinds: `shell` and `write` for CAO's execute_bash and fs_write, an MCP server by its name;
 * `--allow-all-urls` for web_fetch. Reads inside the working directory never ask.
 */
export function copilotPermissionArgs(context: LaunchContext): string[] {
  if (unrestricted(context)) return ["--allow-all"];
  const allowed = allowedToolsOf(context);
  const granted = grantedCategories(allowed);
  const argv: string[] = [];
  const kinds: Array<[string, boolean]> = [
    ["shell", granted.has("execute_bash")],
    ["write", granted.has("fs_write")],
  ];
  for (const [kind, yes] of kinds) argv.push(yes ? "--allow-tool" : "--deny-tool", kind);
  for (const server of grantedMcpServers(allowed)) argv.push("--allow-tool", server);
  if (granted.has("web_fetch")) argv.push("--allow-all-urls");
  return argv;
}

/**
 * Gemini CLI: its default (asking) approval mode and a policy file of this launch's own (its policy engine; the older
 * `--allowed-tools` prints a deprecation warning into the TUI): the allowed native tools allowed, the others denied.
 */
export function geminiPermissions(context: LaunchContext, policyFile: string): { argv: string[]; policy?: string } {
  if (unrestricted(context)) return { argv: ["--yolo"] };
  const { granted, withheld } = nativeSplit(GEMINI_TOOL_NAMES, allowedToolsOf(context));
  const rule = (names: string[], decision: string) =>
    names.length ? `[[rule]]\ntoolName = ${JSON.stringify(names)}\ndecision = "${decision}"\npriority = 900\n` : "";
  const policy = [rule(granted, "allow"), rule(withheld, "deny")].filter(Boolean).join("\n");
  return { argv: ["--approval-mode", "default", "--policy", policyFile], policy };
}

/** Qwen Code: its default (asking) approval mode, the allowed tools pre-approved, the others excluded. */
export function qwenPermissionArgs(context: LaunchContext): string[] {
  if (unrestricted(context)) return ["--approval-mode", "yolo"];
  const { granted, withheld } = nativeSplit(QWEN_TOOL_NAMES, allowedToolsOf(context));
  const argv = ["--approval-mode", "default"];
  if (granted.length) argv.push("--allowed-tools", granted.join(","));
  if (withheld.length) argv.push("--exclude-tools", withheld.join(","));
  return argv;
}

/** The bypass: each permission opencode would otherwise ask about allowed. */
const OPENCODE_BYPASS = {
  read: "allow",
  edit: "allow",
  bash: "allow",
  webfetch: "allow",
  external_directory: "allow",
  doom_loop: "allow",
};

/** opencode's `permission` config: each of its permission keys allowed or denied by the list; the rest asks. */
export function opencodePermission(context: LaunchContext): Record<string, string> {
  if (unrestricted(context)) return OPENCODE_BYPASS;
  const granted = grantedCategories(allowedToolsOf(context));
  const verdict = (yes: boolean) => (yes ? "allow" : "deny");
  // Its keys are permission kinds, not tool names: edit covers write, edit and patch.
  return {
    read: verdict(granted.has("fs_read")),
    edit: verdict(granted.has("fs_write")),
    bash: verdict(granted.has("execute_bash")),
    webfetch: verdict(granted.has("web_fetch")),
    external_directory: "ask",
    doom_loop: "ask",
  };
}
