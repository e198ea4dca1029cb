/**
 * What CLIs whose hooks are shell commands (Gemini CLI, Copilot CLI) run: cao-hook with the event's name as its
 * argument. The name goes to CAO as `?event=` (Copilot leaves it out of the body) and tells cao-hook whether a call it
 * cannot deliver is a tool call, which it blocks while a failClosed interceptor is registered.
 */
import type { HookEndpoint } from "../provider.js";

/** The command line: cao-hook's path quoted for a POSIX shell, then the event name (letters only, never quoted). */
export function caoHookCommand(endpoint: HookEndpoint, event: string): string {
  const command = /^[A-Za-z0-9_./:=@%+,-]+$/.test(endpoint.command)
    ? endpoint.command
    : `'${endpoint.command.replace(/'/g, `'\\''`)}'`;
  return `${command} ${event}`;
}

/**
 * Seconds a CLI should let cao-hook run: longer than cao-hook waits for CAO itself, so that cao-hook, not the CLI's
 * timeout, decides what an unanswered tool call does (a CLI that kills its hook lets the tool run).
 */
export function commandHookTimeoutSeconds(endpoint: HookEndpoint): number {
  return endpoint.timeoutSeconds + 5;
}

/** The variables of the agent's environment cao-hook reads (the launcher sets them), for CLIs that filter theirs. */
export function caoHookVariables(endpoint: HookEndpoint): string[] {
  return [endpoint.tokenVariable, "CAO_HOOK_URL", "CAO_HOOK_FAIL_CLOSED"];
}
