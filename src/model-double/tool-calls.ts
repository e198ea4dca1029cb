/**
 * Turning a scripted shell or tool step into a call of a tool the CLI really offers. Every CLI names and shapes
 * its tools its own way (Claude `Bash{command}`, Codex `exec_command{cmd}`, Gemini and Qwen
 * `run_shell_command{command, description}`, opencode and Copilot `bash{command, description}`), so the call is
 * built from the offered tool's schema rather than from a table of CLIs.
 */
import type { JsonSchema, OfferedTool } from "./conversation.js";

const SHELL_TOOLS = ["Bash", "exec_command", "run_shell_command", "bash", "shell", "run_terminal_cmd"];

export interface ResolvedCall {
  name: string;
  namespace?: string;
  input: Record<string, unknown>;
}

export function shellCall(command: string, tools: readonly OfferedTool[]): ResolvedCall {
  const tool = SHELL_TOOLS.map((name) => tools.find((t) => t.name === name)).find((t) => t !== undefined);
  if (!tool) throw new Error(`no shell tool offered (offered: ${tools.map((t) => t.name).join(", ") || "none"})`);
  const properties = tool.schema?.properties ?? {};
  const key = "cmd" in properties ? "cmd" : "command";
  const input: Record<string, unknown> = { [key]: isArray(properties[key]) ? ["bash", "-lc", command] : command };
  for (const required of tool.schema?.required ?? []) {
    if (required in input) continue;
    if (required === "description") input.description = "run a scripted command";
    else input[required] = placeholder(properties[required]);
  }
  return { name: tool.name, ...(tool.namespace ? { namespace: tool.namespace } : {}), input };
}

/**
 * `requestText` is the whole request as sent: a CLI that defers MCP tools behind a tool search (Claude Code, Qwen
 * Code) does not offer them, but names them in a reminder (`mcp__cao-mcp-server__handoff`), and a direct call by
 * that name runs.
 */
export function namedCall(wanted: string, input: Record<string, unknown>, tools: readonly OfferedTool[], requestText = "", server?: string): ResolvedCall {
  const exact = tools.find((t) => t.name === wanted || (t.namespace && `${t.namespace}__${t.name}` === wanted));
  const suffix = (name: string): boolean => name === wanted || ["__", "_", "-", "."].some((sep) => name.endsWith(sep + wanted));
  const tool = exact ?? tools.find((t) => suffix(t.name) || (t.namespace !== undefined && suffix(`${t.namespace}__${t.name}`)));
  if (tool) return { name: tool.name, ...(tool.namespace ? { namespace: tool.namespace } : {}), input };
  const escaped = wanted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const mentioned = new RegExp(`\\bmcp__[A-Za-z0-9_-]+?__${escaped}\\b`).exec(requestText)?.[0];
  return { name: mentioned ?? (server ? `mcp__${server}__${wanted}` : wanted), input };
}

function isArray(schema: JsonSchema | undefined): boolean {
  const type = schema?.type;
  return type === "array" || (Array.isArray(type) && type.includes("array"));
}

function placeholder(schema: JsonSchema | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema!.type[0] : schema?.type;
  if (type === "number" || type === "integer") return 1;
  if (type === "boolean") return false;
  if (type === "array") return [];
  if (type === "object") return {};
  return "x";
}
