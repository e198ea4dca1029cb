/**
 * Claude Code's permission flags for a launch (docs/tool-restrictions.md, docs/providers/claude_code.md): the bypass
 * only when the agent is unrestricted (`*`, i.e. yolo) or its profile asks for `permissionMode: bypassPermissions`;
 * otherwise the CLI's normal (asking) mode with the allowed tools pre-approved and the others removed.
 */
import { ValidationError } from "../util/validate.js";
import { allowedToolsOf, CLAUDE_TOOL_NAMES, nativeSplit } from "./native-tool-names.js";
import type { LaunchContext } from "./provider.js";
import { ALL_TOOLS, grantedMcpServers } from "./tool-vocabulary.js";

/** The modes this Claude Code takes (`--permission-mode`); `default` is the older name of `manual`. */
const PERMISSION_MODES = ["manual", "default", "acceptEdits", "auto", "dontAsk", "plan", "bypassPermissions"];
/** CAO's choice when the profile names none: every tool not pre-approved asks, no classifier model call decides. */
const NORMAL_MODE = "manual";

export function claudePermissionArgs(context: LaunchContext): { argv: string[]; bypass: boolean } {
  const mode = permissionModeOf(context);
  const allowed = allowedToolsOf(context);
  const unrestricted = allowed.includes(ALL_TOOLS);
  if (mode === "bypassPermissions" || (unrestricted && mode === undefined))
    return { argv: ["--dangerously-skip-permissions"], bypass: true };
  const argv = ["--permission-mode", mode ?? NORMAL_MODE];
  if (unrestricted) return { argv, bypass: false };
  const { granted, withheld } = nativeSplit(CLAUDE_TOOL_NAMES, allowed);
  // A server rule without a tool part (`mcp__name`) pre-approves every tool of that MCP server.
  const approved = [...granted, ...grantedMcpServers(allowed).map((server) => `mcp__${server}`)];
  if (approved.length > 0) argv.push("--allowedTools", approved.join(","));
  if (withheld.length > 0) argv.push("--disallowedTools", withheld.join(","));
  return { argv, bypass: false };
}

/** The profile's `permissionMode`, or a 400 naming it when this Claude Code has no such mode. */
function permissionModeOf(context: LaunchContext): string | undefined {
  const mode = context.profile.extra?.permissionMode;
  if (mode === undefined) return undefined;
  if (typeof mode !== "string" || !PERMISSION_MODES.includes(mode))
    throw new ValidationError(
      `agent profile ${context.profile.name}: permissionMode must be one of ${PERMISSION_MODES.join(", ")} (got ${JSON.stringify(mode)})`,
    );
  return mode;
}
