/**
 * How an agent CLI's own hooks speak (docs/agent-hooks.md): the JSON a hook call carries, read into one of CAO's hook
 * calls, and CAO's decision on a tool call written back in the CLI's own format. Pure: no I/O, no server state.
 */
import type { AgentNotificationKind } from "../contract/vocabulary.js";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A hook call, as CAO understands it whatever the CLI. */
export type HookCall =
  | { kind: "turn_started"; prompt: string }
  /** Before a tool runs: CAO answers with a decision. */
  | { kind: "tool_started"; toolName: string; toolInput: Record<string, unknown>; toolUseId: string | null }
  | {
      kind: "tool_finished";
      toolName: string;
      toolUseId: string | null;
      ok: boolean;
      output: string;
      /** When the CLI measured it itself. */
      durationMs?: number;
    }
  | {
      kind: "turn_ended";
      lastMessage: string;
      /** Usage the CLI put in the call itself; otherwise read from `transcriptPath` when there is one. */
      usage?: TokenUsage;
      transcriptPath?: string;
      /** The CLI's own id of the turn, for a transcript whose entries carry it (see turnUsage). */
      turnId?: string;
      /**
       * Text the transcript holds once the CLI wrote the turn's last entry, for CLIs whose turn-end hook carries no
       * last message to wait for (default: the last message as JSON spells it).
       */
      transcriptReady?: string;
    }
  | { kind: "notification"; notificationKind: AgentNotificationKind; message: string }
  /** A call CAO has no event for (session start and end, compaction, …): acknowledged, nothing else. */
  | { kind: "ignored"; event: string };

/** CAO's answer to a tool call. `reason` is the full text the agent is told ("denied by plugin …: …"). */
export type ToolDecision =
  | { decision: "allow" }
  | { decision: "deny"; reason: string }
  | { decision: "modify"; toolInput: Record<string, unknown> };

export interface HookDialect {
  /** Names the dialect in logs and docs (`claude`, `gemini`, `copilot`, …). */
  readonly name: string;
  /**
   * The call from its JSON body. `event` is the hook's event name when the CLI does not put it in the body (the hook
   * command passes it). Throws an Error with a message naming what is wrong for a body it cannot read.
   */
  read(body: Record<string, unknown>, event: string | undefined): HookCall;
  /** The reply body to a tool_started call. */
  replyToTool(decision: ToolDecision): unknown;
  /**
   * False when the CLI runs a tool with the input it asked for whatever the reply says (it ignores `updatedInput`).
   * A modify is then answered as a deny with UNMODIFIABLE_INPUT_REASON: running the unchanged input would let through
   * what a plugin meant to change. Absent: the CLI runs the changed input.
   */
  readonly runsChangedInput?: boolean;
  /**
   * Usage summed over the turn from the part of the CLI's transcript file written during the turn (the server keeps
   * where the file ended when the turn started). `turnId` is the turn_ended call's, when it has one: a CLI that
   * writes its transcript late may still be writing the previous turn's last entries after this one began.
   * Undefined when that part says nothing about usage.
   */
  turnUsage?(transcriptPart: string, turnId?: string): TokenUsage | undefined;
  /**
   * How long the end of a turn waits for the CLI to write the turn's last message to its transcript before the usage
   * is summed from what is there (default: the turn tracker's 3 s). agent_turn_ended goes out after that wait.
   */
  readonly transcriptWaitMs?: number;
  /**
   * The agent's last message from the same part of the transcript, for CLIs whose turn-end hook does not carry it
   * (Copilot's agentStop). Undefined when that part holds none.
   */
  turnLastMessage?(transcriptPart: string): string | undefined;
}

/** What the agent is told when a plugin changed a tool's input and its CLI can only run the input it asked for. */
export const UNMODIFIABLE_INPUT_REASON =
  "denied by CAO: a pre_tool_use plugin changed this tool's input, and this CLI cannot run a changed tool input";

/**
 * The shell command line of a command hook that runs cao-hook for `event` (`'/abs/cao-hook' PreToolUse`): the CLIs
 * run it through a shell, and the path may hold spaces.
 */
export function hookCommandLine(caoHook: string, event: string): string {
  return `'${caoHook.replace(/'/g, `'\\''`)}' ${event}`;
}

/** A string field of a hook body, or "" when absent. */
export function text(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  return typeof value === "string" ? value : "";
}

/** A string field a call of `event` must have; throws naming both when it is missing or empty. */
export function requireText(body: Record<string, unknown>, key: string, event: string): string {
  const value = text(body, key);
  if (!value) throw new Error(`a ${event} hook call without ${key}`);
  return value;
}

/** An object field of a hook body, or {} when absent or not an object. */
export function object(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = body[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Tool output as text for agent_tool_finished: strings as they are, anything else as JSON. */
export function outputText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
