/**
 * Codex's hooks (docs/providers/codex.md#hooks): the Claude Code schema and replies (its exec_command tool is reported
 * as `Bash{command}`, a tool's output as plain text), configured per launch with `-c hooks.<Event>=…` and trusted per
 * launch with `-c hooks.state=…`; usage from the `token_count` events of its rollout transcript.
 */
import { createHash } from "node:crypto";
import { hookCommandLine, type HookDialect, type TokenUsage } from "../hook-dialect.js";
import type { HookEndpoint } from "../provider.js";
import { tomlString } from "../screen-text.js";
import { claudeToolReply, readClaudeCall } from "./claude.js";

/** The events CAO listens to; Codex has no Notification or PostToolUseFailure hook (0.169). */
const CODEX_EVENTS = ["UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"];
const TOOL_EVENTS = new Set(["PreToolUse", "PostToolUse"]);
/** Where Codex says hooks given with `-c` come from: the key of their trust entry starts with it. */
const SESSION_FLAGS_SOURCE = "/<session-flags>/config.toml";

interface TokenCount {
  total: TokenUsage;
  last: TokenUsage;
}

function tokens(value: unknown): TokenUsage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const usage = value as Record<string, unknown>;
  if (typeof usage.input_tokens !== "number" || typeof usage.output_tokens !== "number") return undefined;
  // OpenAI counts cached input inside input_tokens and reasoning inside output_tokens: both are already summed.
  return { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
}

/**
 * The turn's usage from its part of a Codex rollout (JSONL). After each model response Codex writes an `event_msg` of
 * type `token_count` with the session's running `total_token_usage` and that response's `last_token_usage`. The
 * turn's usage is the last total minus the total before the turn (the first event's total less its own last usage):
 * a token_count written twice for one response changes neither.
 */
export function codexRolloutUsage(part: string): TokenUsage | undefined {
  const counts: TokenCount[] = [];
  for (const line of part.split("\n")) {
    if (!line.includes('"token_count"')) continue;
    let entry: { type?: unknown; payload?: { type?: unknown; info?: Record<string, unknown> | null } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line still being written
    }
    if (entry.type !== "event_msg" || entry.payload?.type !== "token_count") continue;
    const total = tokens(entry.payload.info?.total_token_usage);
    const last = tokens(entry.payload.info?.last_token_usage);
    if (total && last) counts.push({ total, last });
  }
  const first = counts[0];
  const end = counts.at(-1);
  if (!first || !end) return undefined;
  return {
    inputTokens: end.total.inputTokens - (first.total.inputTokens - first.last.inputTokens),
    outputTokens: end.total.outputTokens - (first.total.outputTokens - first.last.outputTokens),
  };
}

export const codexDialect: HookDialect = {
  name: "codex",
  read: readClaudeCall,
  replyToTool: claudeToolReply,
  turnUsage: codexRolloutUsage,
};

/** A JSON text with every object's keys sorted, as Codex serialises a hook's identity for its trust hash. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedJson((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** "PreToolUse" → "pre_tool_use", the event's name in Codex's trust keys and hashes. */
function snakeCase(event: string): string {
  return event.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * The trust hash Codex gives a hook group of one command handler: sha256 of its identity as JSON with sorted keys
 * (the `currentHash` that `codex app-server`'s hooks/list reports; checked against 0.169.0).
 */
export function codexHookHash(event: string, command: string, timeoutSeconds: number, matcher?: string): string {
  const identity = {
    event_name: snakeCase(event),
    hooks: [{ async: false, command, timeout: timeoutSeconds, type: "command" }],
    ...(matcher === undefined ? {} : { matcher }),
  };
  return `sha256:${createHash("sha256").update(sortedJson(identity)).digest("hex")}`;
}

/**
 * The `-c` overrides that make Codex run cao-hook on CAO's events for this launch only: one hook group per event, and
 * their trust. Hooks Codex has not trusted show a "Hooks need review" screen in the TUI and are skipped by `exec`;
 * `--dangerously-bypass-hook-trust` would also wave through the user's own untrusted hooks, so CAO instead trusts
 * exactly its own, by the hash Codex would record if the user trusted them. The user's hooks.json, config.toml hooks
 * and their trust entries are other layers and stay as they are.
 */
export function codexHookOverrides(endpoint: HookEndpoint): string[] {
  const timeout = Math.max(1, Math.round(endpoint.timeoutSeconds));
  const out: string[] = [];
  const trust: string[] = [];
  for (const event of CODEX_EVENTS) {
    const command = hookCommandLine(endpoint.command, event);
    const matcher = TOOL_EVENTS.has(event) ? "*" : undefined;
    const handler = `{type="command",command=${tomlString(command)},timeout=${timeout}}`;
    const group = `{${matcher === undefined ? "" : `matcher=${tomlString(matcher)},`}hooks=[${handler}]}`;
    out.push("-c", `hooks.${event}=[${group}]`);
    const key = `${SESSION_FLAGS_SOURCE}:${snakeCase(event)}:0:0`;
    trust.push(`${tomlString(key)}={trusted_hash=${tomlString(codexHookHash(event, command, timeout, matcher))}}`);
  }
  // One table value: a dotted `hooks.state."<key>"` path would be split at the dot inside "config.toml".
  out.push("-c", `hooks.state={${trust.join(",")}}`);
  return out;
}
