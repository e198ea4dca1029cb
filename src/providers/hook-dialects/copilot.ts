/**
 * The hook dialect of GitHub Copilot CLI (1.0): camelCase events whose name is not in the body (cao-hook passes it as
 * `?event=`), `toolName`/`toolArgs`, a deny as `{"permissionDecision": "deny", "permissionDecisionReason"}` (the model
 * reads "Denied by preToolUse hook: <reason>"), a changed input as `{"modifiedArgs": {…}}`. Copilot gives tool calls
 * no id in its hooks, and its agentStop carries no answer: the answer and the usage come from its session events
 * (`transcriptPath`, events.jsonl).
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

/** A tool's arguments as an object: Copilot gives an object, or for some tools their JSON as text. */
function toolArgs(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // plain text arguments
    }
    return { value };
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function readCopilotCall(body: Record<string, unknown>, event: string | undefined): HookCall {
  const name = event ?? "";
  switch (name) {
    case "userPromptSubmitted":
      return { kind: "turn_started", prompt: text(body, "prompt") };
    case "preToolUse":
      return {
        kind: "tool_started",
        toolName: requireText(body, "toolName", name),
        toolInput: toolArgs(body.toolArgs),
        toolUseId: null,
      };
    case "postToolUse": {
      const result = object(body, "toolResult");
      return {
        kind: "tool_finished",
        toolName: requireText(body, "toolName", name),
        toolUseId: null,
        ok: result.resultType === undefined || result.resultType === "success",
        output: typeof result.textResultForLlm === "string" ? result.textResultForLlm : outputText(body.toolResult),
      };
    }
    case "postToolUseFailure":
      return {
        kind: "tool_finished",
        toolName: requireText(body, "toolName", name),
        toolUseId: null,
        ok: false,
        output: outputText(body.error),
      };
    case "agentStop": {
      const transcriptPath = text(body, "transcriptPath");
      // The session events record this very call (its input, timestamp included) before running the hook: once
      // they hold it, they hold everything of the turn.
      const stamp = body.timestamp;
      return {
        kind: "turn_ended",
        lastMessage: "",
        ...(transcriptPath ? { transcriptPath } : {}),
        ...(typeof stamp === "number" ? { transcriptReady: `"timestamp":${stamp}` } : {}),
      };
    }
    case "notification": {
      // Not seen firing here (CAO starts Copilot with --allow-all, so it asks nothing): read loosely.
      const type = text(body, "notificationType") || text(body, "notification_type") || text(body, "type");
      return {
        kind: "notification",
        notificationKind: /permission/i.test(type) ? "permission_prompt" : "other",
        message: text(body, "message"),
      };
    }
    case "":
      throw new Error("the hook call names no event (Copilot leaves it out of the body: pass ?event=)");
    default:
      return { kind: "ignored", event: name };
  }
}

export function copilotToolReply(decision: ToolDecision): unknown {
  if (decision.decision === "allow") return {};
  if (decision.decision === "deny") return { permissionDecision: "deny", permissionDecisionReason: decision.reason };
  return { modifiedArgs: decision.toolInput };
}

interface SessionEvent {
  type?: unknown;
  data?: Record<string, any>;
}

/** The session events of the last turn: those after the last user message (whole lines only). */
function lastTurn(part: string): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (const line of part.split("\n")) {
    if (!line.startsWith("{")) continue;
    let event: SessionEvent;
    try {
      event = JSON.parse(line) as SessionEvent;
    } catch {
      continue; // a line still being written
    }
    if (event.type === "user.message") events.length = 0;
    events.push(event);
  }
  return events;
}

/** Usage of the turn: each model call's `session.usage_record`; input counts cached tokens too. */
export function copilotTranscriptUsage(part: string): TokenUsage | undefined {
  let inputTokens = 0;
  let outputTokens = 0;
  let seen = false;
  for (const event of lastTurn(part)) {
    const usage = event.type === "session.usage_record" ? event.data?.usage : undefined;
    if (typeof usage !== "object" || usage === null) continue;
    const count = (key: string) => (typeof usage[key] === "number" ? (usage[key] as number) : 0);
    inputTokens += count("inputTokens") + count("cacheReadTokens") + count("cacheWriteTokens");
    outputTokens += count("outputTokens");
    seen = true;
  }
  return seen ? { inputTokens, outputTokens } : undefined;
}

/** The turn's last answer: the last `assistant.message` with text (tool-call messages have none). */
export function copilotLastMessage(part: string): string | undefined {
  let last: string | undefined;
  for (const event of lastTurn(part)) {
    const content = event.type === "assistant.message" ? event.data?.content : undefined;
    if (typeof content === "string" && content.trim()) last = content;
  }
  return last;
}

export const copilotDialect: HookDialect = {
  name: "copilot",
  read: readCopilotCall,
  replyToTool: copilotToolReply,
  turnUsage: copilotTranscriptUsage,
  turnLastMessage: copilotLastMessage,
};

const COPILOT_EVENTS = [
  "userPromptSubmitted",
  "preToolUse",
  "postToolUse",
  "postToolUseFailure",
  "agentStop",
  "notification",
];

/** The `hooks.json` of a Copilot plugin that reports to CAO: cao-hook for each event, its name as the argument. */
export function copilotHooksFile(endpoint: HookEndpoint): Record<string, unknown> {
  const hooks: Record<string, unknown[]> = {};
  for (const event of COPILOT_EVENTS)
    hooks[event] = [
      { type: "command", bash: caoHookCommand(endpoint, event), timeoutSec: commandHookTimeoutSeconds(endpoint) },
    ];
  return { version: 1, hooks };
}
