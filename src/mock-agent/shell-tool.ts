/**
 * `/sh <command>` in the mock agent: a shell command run as Claude Code runs its Bash tool, between a PreToolUse hook
 * (which may block it or change it) and a PostToolUse (or PostToolUseFailure) hook.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { MockHooks } from "./hooks.js";

export async function runShell(command: string, hooks: MockHooks): Promise<string[]> {
  const toolUseId = `toolu_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const asked = await hooks.fire(
    "PreToolUse",
    { tool_name: "Bash", tool_input: { command }, tool_use_id: toolUseId },
    "Bash",
  );
  // Claude Code tells the model "PreToolUse:Bash hook error: <reason>" for a blocked call.
  if (asked.blocked !== undefined) return [`PreToolUse:Bash hook error: ${asked.blocked}`];
  const input = asked.updatedInput ?? { command };
  const run = spawnSync("sh", ["-c", String(input.command ?? "")], { encoding: "utf8", timeout: 60_000 });
  const stdout = run.stdout ?? "";
  const stderr = run.stderr ?? "";
  if (run.status === 0) {
    await hooks.fire(
      "PostToolUse",
      {
        tool_name: "Bash",
        tool_input: input,
        tool_use_id: toolUseId,
        tool_response: { stdout, stderr, interrupted: false },
      },
      "Bash",
    );
  } else {
    const error = `exit ${run.status ?? run.signal}: ${stderr || stdout}`.trim();
    await hooks.fire(
      "PostToolUseFailure",
      { tool_name: "Bash", tool_input: input, tool_use_id: toolUseId, error },
      "Bash",
    );
  }
  const lines = `${stdout}${stderr}`.trimEnd().split("\n");
  return [`ran: ${String(input.command)}`, ...lines];
}
