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
 * `requestText` is the whole request as sent: CLIs that defer MCP tools (Claude Code, Qwen Code) leave them out of
 * `tools` and announce them by name (`mcp__<server>__<tool>`) in a reminder. Such a tool is called through the
 * CLI's bridge when it offers one (Qwen Code's `tool_call {name, arguments}`), otherwise by its full name (Claude
 * Code runs a direct call of a deferred tool). When the request names it nowhere (a CLI still connecting its MCP
 * servers), a step that names its `server` calls `mcp__<server>__<tool>`.
 */
export function namedCall(
  wanted: string,
  input: Record<string, unknown>,
  tools: readonly OfferedTool[],
  requestText = "",
  server?: string,
): ResolvedCall {
  const exact = tools.find((t) => t.name === wanted || (t.namespace && `${t.namespace}__${t.name}` === wanted));
  const suffix = (name: string): boolean =>
    name === wanted || ["__", "_", "-", "."].some((sep) => name.endsWith(sep + wanted));
  const tool =
    exact ?? tools.find((t) => suffix(t.name) || (t.namespace !== undefined && suffix(`${t.namespace}__${t.name}`)));
  if (tool) return { name: tool.name, ...(tool.namespace ? { namespace: tool.namespace } : {}), input };
  const deferred = deferredName(wanted, requestText) ?? (server ? `mcp__${server}__${wanted}` : undefined);
  if (!deferred) return { name: wanted, input };
  const bridge = tools.find(
    (t) => t.name === "tool_call" && t.schema?.properties?.name && t.schema.properties.arguments,
  );
  return bridge ? { name: bridge.name, input: { name: deferred, arguments: input } } : { name: deferred, input };
}

/** The full name of a deferred MCP tool announced in the request: `wanted` itself, or `mcp__<server>__<wanted>`. */
function deferredName(wanted: string, requestText: string): string | undefined {
  const escaped = wanted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = wanted.startsWith("mcp__")
    ? new RegExp(`${escaped}(?![\\w-])`)
    : new RegExp(`mcp__[\\w.-]+?__${escaped}(?![\\w-])`);
  return pattern.exec(requestText)?.[0];
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
