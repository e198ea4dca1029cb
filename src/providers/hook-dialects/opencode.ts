/**
 * The hook dialect of opencode (1.18), whose hooks are a plugin CAO writes per launch (./opencode-plugin.ts): the
 * event's name comes as `?event=`, the bodies are what the plugin sends (opencode's own hook arguments, or what it
 * gathered from opencode's message events), and the reply is for the plugin: `{decision: "deny", reason}` (it throws,
 * opencode gives the model the message as the tool's result) or `{decision: "modify", args}` (it changes the tool's
 * arguments in place, and opencode runs the changed ones). Usage comes in the turn-end call itself.
 */
import { object, outputText, text, type HookCall, type HookDialect, type ToolDecision } from "../hook-dialect.js";

/** The user's text in a chat.message call: its text parts, without those opencode adds itself. */
function promptOf(output: Record<string, unknown>): string {
  const parts = Array.isArray(output.parts) ? (output.parts as Record<string, unknown>[]) : [];
  return parts
    .filter((part) => part?.type === "text" && part.synthetic !== true && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("\n");
}

/**
 * Each answer's `tokens` summed: input counts the cache reads and writes (opencode leaves them out of `input`), output
 * the reasoning (opencode counts it apart). Undefined when the turn had no answer with tokens.
 */
export function opencodeUsage(tokens: unknown): { inputTokens: number; outputTokens: number } | undefined {
  if (!Array.isArray(tokens)) return undefined;
  let inputTokens = 0;
  let outputTokens = 0;
  let seen = false;
  for (const entry of tokens) {
    if (typeof entry !== "object" || entry === null) continue;
    const t = entry as Record<string, unknown>;
    const cache = object(t, "cache");
    const n = (from: Record<string, unknown>, key: string) =>
      typeof from[key] === "number" ? (from[key] as number) : 0;
    inputTokens += n(t, "input") + n(cache, "read") + n(cache, "write");
    outputTokens += n(t, "output") + n(t, "reasoning");
    seen = true;
  }
  return seen ? { inputTokens, outputTokens } : undefined;
}

export function readOpencodeCall(body: Record<string, unknown>, event: string | undefined): HookCall {
  const name = event ?? "";
  const input = object(body, "input");
  const toolUseId = text(input, "callID") || null;
  switch (name) {
    case "chat.message":
      return { kind: "turn_started", prompt: promptOf(object(body, "output")) };
    case "tool.execute.before":
      return {
        kind: "tool_started",
        toolName: requireText(input, "tool", name),
        toolInput: object(object(body, "output"), "args"),
        toolUseId,
      };
    case "tool.execute.after": {
      const output = object(body, "output");
      return {
        kind: "tool_finished",
        toolName: requireText(input, "tool", name),
        toolUseId,
        ok: true,
        output: typeof output.output === "string" ? output.output : outputText(output.output),
      };
    }
    case "tool.execute.error":
      return {
        kind: "tool_finished",
        toolName: requireText(input, "tool", name),
        toolUseId,
        ok: false,
        output: outputText(body.error),
      };
    case "session.idle": {
      const usage = opencodeUsage(body.tokens);
      return { kind: "turn_ended", lastMessage: text(body, "lastMessage"), ...(usage ? { usage } : {}) };
    }
    case "permission.asked": {
      const permission = object(body, "permission");
      const patterns = Array.isArray(permission.patterns) ? permission.patterns.join(", ") : "";
      const what = text(permission, "permission") || text(permission, "title");
      return {
        kind: "notification",
        notificationKind: "permission_prompt",
        message: patterns ? `${what} (${patterns})` : what,
      };
    }
    case "":
      throw new Error("the hook call names no event (pass ?event=)");
    default:
      return { kind: "ignored", event: name };
  }
}

function requireText(from: Record<string, unknown>, key: string, event: string): string {
  const value = text(from, key);
  if (!value) throw new Error(`a ${event} hook call without input.${key}`);
  return value;
}

export function opencodeToolReply(decision: ToolDecision): unknown {
  if (decision.decision === "allow") return {};
  if (decision.decision === "deny") return { decision: "deny", reason: decision.reason };
  return { decision: "modify", args: decision.toolInput };
}

export const opencodeDialect: HookDialect = {
  name: "opencode",
  read: readOpencodeCall,
  replyToTool: opencodeToolReply,
};
