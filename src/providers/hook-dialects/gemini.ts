/**
 * The hook dialect of Gemini CLI (0.61): `hook_event_name` in the body (BeforeAgent, BeforeTool, AfterTool,
 * AfterAgent, Notification, …), a deny as `{"decision": "deny", "reason"}`, a changed input as
 * `hookSpecificOutput.tool_input` (Gemini builds the tool again from it and tells the model its input was changed by a
 * hook), and usage from the chat recording in `transcript_path`. Gemini gives tool calls no id in its hooks.
 */
import {
  object,
  outputText,
  requireText,
  text,
  type HookCall,
  type HookDialect,
  type TokenUsage,
  type ToolDecision,
} from "../hook-dialect.js";
import type { HookEndpoint } from "../provider.js";
import { caoHookCommand, commandHookTimeoutSeconds } from "./command-hook.js";

/** What a tool gave back: `llmContent` (what the model reads) when it is text, else what the screen showed. */
function toolOutput(response: Record<string, unknown>): string {
  if (typeof response.llmContent === "string") return response.llmContent;
  if (typeof response.returnDisplay === "string") return response.returnDisplay;
  return outputText(response.llmContent ?? response.returnDisplay);
}

export function readGeminiCall(body: Record<string, unknown>, event: string | undefined): HookCall {
  const name = text(body, "hook_event_name") || event || "";
  switch (name) {
    case "BeforeAgent":
      return { kind: "turn_started", prompt: text(body, "prompt") };
    case "BeforeTool":
      return {
        kind: "tool_started",
        toolName: requireText(body, "tool_name", name),
        toolInput: object(body, "tool_input"),
        toolUseId: null,
      };
    case "AfterTool": {
      const response = object(body, "tool_response");
      const error = response.error;
      return {
        kind: "tool_finished",
        toolName: requireText(body, "tool_name", name),
        toolUseId: null,
        ok: error === undefined || error === null,
        output: toolOutput(response),
      };
    }
    case "AfterAgent": {
      const transcriptPath = text(body, "transcript_path");
      return {
        kind: "turn_ended",
        lastMessage: text(body, "prompt_response"),
        ...(transcriptPath ? { transcriptPath } : {}),
      };
    }
    case "Notification":
      return {
        kind: "notification",
        notificationKind: text(body, "notification_type") === "ToolPermission" ? "permission_prompt" : "other",
        message: text(body, "message"),
      };
    case "":
      throw new Error("the hook call names no event (hook_event_name)");
    default:
      return { kind: "ignored", event: name };
  }
}

export function geminiToolReply(decision: ToolDecision): unknown {
  if (decision.decision === "allow") return {};
  if (decision.decision === "deny") return { decision: "deny", reason: decision.reason };
  return { hookSpecificOutput: { hookEventName: "BeforeTool", tool_input: decision.toolInput } };
}

/**
 * Gemini's chat recording: JSON lines, a model message (`type: "gemini"`) carrying the request's `tokens`; a message
 * is written again under the same id when it changes (its tool calls added), so each id counts once. Output counts
 * the model's thoughts too, as the other CLIs' output tokens do.
 */
export function geminiTranscriptUsage(part: string): TokenUsage | undefined {
  const byMessage = new Map<string, TokenUsage>();
  let anonymous = 0;
  for (const line of part.split("\n")) {
    if (!line.includes('"tokens"')) continue;
    let entry: { type?: unknown; id?: unknown; tokens?: Record<string, unknown> | null };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line still being written
    }
    const tokens = entry.tokens;
    if (entry.type !== "gemini" || typeof tokens !== "object" || tokens === null) continue;
    const count = (key: string) => (typeof tokens[key] === "number" ? (tokens[key] as number) : 0);
    const id = typeof entry.id === "string" ? entry.id : `#${anonymous++}`;
    byMessage.set(id, { inputTokens: count("input"), outputTokens: count("output") + count("thoughts") });
  }
  if (byMessage.size === 0) return undefined;
  let inputTokens = 0;
  let outputTokens = 0;
  for (const usage of byMessage.values()) {
    inputTokens += usage.inputTokens;
    outputTokens += usage.outputTokens;
  }
  return { inputTokens, outputTokens };
}

export const geminiDialect: HookDialect = {
  name: "gemini",
  read: readGeminiCall,
  replyToTool: geminiToolReply,
  turnUsage: geminiTranscriptUsage,
};

/** The events CAO listens to in Gemini CLI; tool events take every tool (matcher "*"). */
const GEMINI_EVENTS = ["BeforeAgent", "BeforeTool", "AfterTool", "AfterAgent", "Notification"];
const TOOL_EVENTS = new Set(["BeforeTool", "AfterTool"]);

/**
 * CAO's entries for the `hooks` of a Gemini settings file: cao-hook for each event, named "cao" (what Gemini shows
 * while a hook runs). Timeouts are in milliseconds there.
 */
export function geminiCommandHooks(endpoint: HookEndpoint): Record<string, unknown[]> {
  const hooks: Record<string, unknown[]> = {};
  for (const event of GEMINI_EVENTS) {
    const hook = {
      name: "cao",
      type: "command",
      command: caoHookCommand(endpoint, event),
      timeout: commandHookTimeoutSeconds(endpoint) * 1000,
    };
    hooks[event] = [{ ...(TOOL_EVENTS.has(event) ? { matcher: "*" } : {}), hooks: [hook] }];
  }
  return hooks;
}
