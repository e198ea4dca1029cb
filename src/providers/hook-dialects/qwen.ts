/**
 * Qwen Code's hooks (docs/providers/qwen_cli.md#hooks): the Claude Code schema and event names, with Qwen's own
 * payloads (`run_shell_command`, `tool_response.llmContent`, `duration_ms`), configured per launch in a settings layer
 * of CAO's; usage from the `usageMetadata` of its chat transcript.
 */
import {
  UNMODIFIABLE_INPUT_REASON,
  hookCommandLine,
  text,
  type HookCall,
  type HookDialect,
  type TokenUsage,
  type ToolDecision,
} from "../hook-dialect.js";
import type { HookEndpoint } from "../provider.js";
import { claudeToolReply, readClaudeCall } from "./claude.js";

const QWEN_EVENTS = ["UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "Notification"];
const TOOL_EVENTS = new Set(["PreToolUse", "PostToolUse", "PostToolUseFailure"]);

export function readQwenCall(body: Record<string, unknown>, event: string | undefined): HookCall {
  // Qwen fires UserPromptSubmit again, with an empty prompt and no submitted_prompt, when it sends the model a tool's
  // result within the same turn (0.24.4). That is no new turn: taken as one, it would restart the turn's usage count.
  const name = text(body, "hook_event_name") || event;
  if (name === "UserPromptSubmit" && text(body, "prompt") === "" && !("submitted_prompt" in body))
    return { kind: "ignored", event: "UserPromptSubmit (a tool result sent on)" };
  const call = readClaudeCall(body, event);
  // Every model response of a turn is recorded with the turn's prompt_id (see qwenTranscriptUsage).
  const turnId = text(body, "prompt_id");
  return call.kind === "turn_ended" && turnId ? { ...call, turnId } : call;
}

/**
 * Qwen Code 0.24.4 reads only a deny, an ask, a stop and additionalContext from a PreToolUse reply: `updatedInput` is
 * applied only from a PermissionRequest hook, which does not fire in the YOLO mode CAO launches it in. A modify is
 * therefore a deny (see runsChangedInput).
 */
export function qwenToolReply(decision: ToolDecision): unknown {
  if (decision.decision === "modify") return claudeToolReply({ decision: "deny", reason: UNMODIFIABLE_INPUT_REASON });
  return claudeToolReply(decision);
}

type Entry = { type?: unknown; subtype?: unknown; usageMetadata?: unknown; systemPayload?: { uiEvent?: unknown } };

function numbers(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

function count(values: Record<string, unknown>, key: string): number {
  return typeof values[key] === "number" ? (values[key] as number) : 0;
}

/**
 * The turn's usage from its part of a Qwen chat transcript (JSONL). Each model response is recorded twice: as a
 * `ui_telemetry` entry `qwen-code.api_response` carrying the turn's `prompt_id` and its token counts, and as an
 * `assistant` entry with Gemini-style `usageMetadata` and no turn id. Qwen writes its transcript seconds late (0.24.4,
 * TUI: the turn's last entries about 8 s after its Stop hook), so the previous turn's last entries may fall in this
 * turn's part: with a `turnId` only that turn's responses count. Input includes cached tokens; thoughts are output.
 */
export function qwenTranscriptUsage(part: string, turnId?: string): TokenUsage | undefined {
  const byTurn = { inputTokens: 0, outputTokens: 0, seen: false };
  const all = { inputTokens: 0, outputTokens: 0, seen: false };
  for (const line of part.split("\n")) {
    if (!line.includes("usageMetadata") && !line.includes("qwen-code.api_response")) continue;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      continue; // a line still being written
    }
    const usage = numbers(entry.usageMetadata);
    if (entry.type === "assistant" && usage) {
      all.inputTokens += count(usage, "promptTokenCount");
      all.outputTokens += count(usage, "candidatesTokenCount") + count(usage, "thoughtsTokenCount");
      all.seen = true;
    }
    const event = numbers(entry.systemPayload?.uiEvent);
    if (entry.subtype === "ui_telemetry" && event?.["event.name"] === "qwen-code.api_response") {
      if (event.prompt_id !== turnId) continue;
      byTurn.inputTokens += count(event, "input_token_count");
      byTurn.outputTokens += count(event, "output_token_count") + count(event, "thoughts_token_count");
      byTurn.seen = true;
    }
  }
  const found = turnId !== undefined && byTurn.seen ? byTurn : all;
  return found.seen ? { inputTokens: found.inputTokens, outputTokens: found.outputTokens } : undefined;
}

export const qwenDialect: HookDialect = {
  name: "qwen",
  read: readQwenCall,
  replyToTool: qwenToolReply,
  runsChangedInput: false,
  turnUsage: qwenTranscriptUsage,
  // Measured lag of its transcript after the Stop hook: about 8 s in the TUI (see qwenTranscriptUsage).
  transcriptWaitMs: 20_000,
};

/** The `hooks` of a Qwen Code settings file that run cao-hook on CAO's events (tool events for every tool). */
export function qwenCommandHooks(endpoint: HookEndpoint): Record<string, unknown> {
  const hooks: Record<string, unknown> = {};
  for (const event of QWEN_EVENTS) {
    const hook = {
      type: "command",
      command: hookCommandLine(endpoint.command, event),
      timeout: endpoint.timeoutSeconds,
    };
    hooks[event] = [{ ...(TOOL_EVENTS.has(event) ? { matcher: "*" } : {}), hooks: [hook] }];
  }
  return hooks;
}
