/**
 * The hook dialect of Claude Code, also spoken by Codex and Qwen Code (the same event names and JSON; see
 * docs/agent-hooks.md): `hook_event_name` in the body, `hookSpecificOutput.permissionDecision` in the reply.
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

const NOTIFICATION_KINDS: Record<string, "permission_prompt" | "idle"> = {
  permission_prompt: "permission_prompt",
  idle_prompt: "idle",
};

/** What a tool gave back, whichever CLI of the family: Claude `{stdout, stderr}`, Qwen `{llmContent}`, Codex text. */
function toolOutput(response: unknown): string {
  if (typeof response === "object" && response !== null && !Array.isArray(response)) {
    const r = response as Record<string, unknown>;
    if (typeof r.stdout === "string" || typeof r.stderr === "string")
      return [r.stdout, r.stderr].filter((part) => typeof part === "string" && part !== "").join("\n");
    if (typeof r.llmContent === "string") return r.llmContent;
    if (typeof r.returnDisplay === "string") return r.returnDisplay;
  }
  return outputText(response);
}

export function readClaudeCall(body: Record<string, unknown>, event: string | undefined): HookCall {
  const name = text(body, "hook_event_name") || event || "";
  switch (name) {
    case "UserPromptSubmit":
      return { kind: "turn_started", prompt: text(body, "prompt") };
    case "PreToolUse":
      return {
        kind: "tool_started",
        toolName: requireText(body, "tool_name", name),
        toolInput: object(body, "tool_input"),
        toolUseId: text(body, "tool_use_id") || null,
      };
    case "PostToolUse":
    case "PostToolUseFailure": {
      const failed = name === "PostToolUseFailure";
      const duration = body.duration_ms;
      return {
        kind: "tool_finished",
        toolName: requireText(body, "tool_name", name),
        toolUseId: text(body, "tool_use_id") || null,
        ok: !failed && !(object(body, "tool_response").interrupted === true),
        output: failed ? outputText(body.error ?? body.tool_response) : toolOutput(body.tool_response),
        ...(typeof duration === "number" && Number.isFinite(duration) ? { durationMs: duration } : {}),
      };
    }
    case "Stop": {
      const transcriptPath = text(body, "transcript_path");
      return {
        kind: "turn_ended",
        lastMessage: text(body, "last_assistant_message"),
        ...(transcriptPath ? { transcriptPath } : {}),
      };
    }
    case "Notification":
      return {
        kind: "notification",
        notificationKind: NOTIFICATION_KINDS[text(body, "notification_type")] ?? "other",
        message: text(body, "message"),
      };
    case "":
      throw new Error("the hook call names no event (hook_event_name)");
    default:
      return { kind: "ignored", event: name };
  }
}

export function claudeToolReply(decision: ToolDecision): unknown {
  if (decision.decision === "allow") return {};
  if (decision.decision === "deny")
    return {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: decision.reason,
      },
    };
  return {
    hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", updatedInput: decision.toolInput },
  };
}

/**
 * Claude Code's transcript: one JSON object per line; each assistant message carries the request's `usage`. A message
 * streamed in several content blocks is written once per block with the same id and usage, so each id counts once.
 */
export function claudeTranscriptUsage(part: string): TokenUsage | undefined {
  const byMessage = new Map<string, TokenUsage>();
  let anonymous = 0;
  for (const line of part.split("\n")) {
    if (!line.includes('"usage"')) continue;
    let entry: { type?: unknown; message?: { id?: unknown; usage?: Record<string, unknown> } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line still being written
    }
    const usage = entry.message?.usage;
    if (entry.type !== "assistant" || typeof usage !== "object" || usage === null) continue;
    const count = (key: string) => (typeof usage[key] === "number" ? (usage[key] as number) : 0);
    const tokens = {
      inputTokens: count("input_tokens") + count("cache_creation_input_tokens") + count("cache_read_input_tokens"),
      outputTokens: count("output_tokens"),
    };
    const id = typeof entry.message?.id === "string" ? entry.message.id : `#${anonymous++}`;
    byMessage.set(id, tokens);
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

export const claudeDialect: HookDialect = {
  name: "claude",
  read: readClaudeCall,
  replyToTool: claudeToolReply,
  turnUsage: claudeTranscriptUsage,
};

/** The events CAO listens to in Claude Code (tool events take every tool: matcher "*"). */
const CLAUDE_EVENTS = ["UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "Notification"];
const TOOL_EVENTS = new Set(["PreToolUse", "PostToolUse", "PostToolUseFailure"]);

/**
 * The `hooks` of a Claude Code settings file that report to CAO through its native HTTP hooks: no process is started
 * per call. The secret stays in the agent's environment, interpolated into the header by Claude Code itself. A
 * PreToolUse call that fails (CAO down) blocks the tool only while a failClosed interceptor is registered.
 */
export function claudeHttpHooks(endpoint: HookEndpoint): Record<string, unknown> {
  const hooks: Record<string, unknown> = {};
  for (const event of CLAUDE_EVENTS) {
    const hook = {
      type: "http",
      url: endpoint.url,
      headers: { [endpoint.tokenHeader]: `$${endpoint.tokenVariable}` },
      allowedEnvVars: [endpoint.tokenVariable],
      timeout: endpoint.timeoutSeconds,
      ...(event === "PreToolUse" ? { onFailure: endpoint.failClosed ? "block" : "continue" } : {}),
    };
    hooks[event] = [{ ...(TOOL_EVENTS.has(event) ? { matcher: "*" } : {}), hooks: [hook] }];
  }
  return hooks;
}
