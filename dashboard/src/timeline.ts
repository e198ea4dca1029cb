import { toolInputSummary } from "../../src/contract/agent-activity.js";
import type { CaoEventJson, Terminal } from "./types.js";

/**
 * What an agent did inside its CLI, per terminal, from the agent_* events its own hooks report (docs/contract.md#agent-hooks):
 * turns in order, each with its tool calls and the notifications shown during it. Pure: the state reducer folds each
 * event of the history and of the live feed into it.
 */

export interface ToolCall {
  key: string;
  toolUseId: string | null;
  toolName: string;
  /** One line: the shell command, the file, the pattern… ("" when the call's start was not seen). */
  summary: string;
  input?: Readonly<Record<string, unknown>>;
  state: "running" | "ok" | "failed";
  started?: string;
  finished?: string;
  durationMs: number | null;
  output?: string;
}

export interface AgentNote {
  key: string;
  kind: string;
  message: string;
  time: string;
}

export type TurnStep = { type: "tool"; tool: ToolCall } | { type: "note"; note: AgentNote };

export interface Turn {
  key: string;
  /** undefined when the turn began before what the page has seen (history window, server restart). */
  prompt?: string;
  started?: string;
  ended?: string;
  lastMessage?: string;
  usage?: { inputTokens: number; outputTokens: number } | null;
  /** The next prompt came before this turn's end was reported (interrupted): it has no end. */
  unfinished?: boolean;
  steps: TurnStep[];
}

/** The timeline: turns, and notifications that came between turns, oldest first. */
export type TimelineEntry = { type: "turn"; turn: Turn } | { type: "note"; note: AgentNote };

export interface AgentTimeline {
  entries: TimelineEntry[];
  /** Time of the newest event, to pick the busiest terminal when none is chosen. */
  lastTime: string;
  lastSeq: number;
}

export const TIMELINE_ENTRIES = 50;
export const TURN_STEPS = 200;

export const AGENT_EVENT_TYPES: ReadonlySet<string> = new Set([
  "agent_turn_started",
  "agent_tool_started",
  "agent_tool_finished",
  "agent_turn_ended",
  "agent_notification",
]);

const str = (value: unknown): string => (typeof value === "string" ? value : "");
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

function inputOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function usageOf(value: unknown): Turn["usage"] {
  const usage = inputOf(value);
  if (!usage) return null;
  return { inputTokens: num(usage.input_tokens) ?? 0, outputTokens: num(usage.output_tokens) ?? 0 };
}

/** The open turn (started, not ended) at the end of the timeline, if any. */
function openTurn(entries: TimelineEntry[]): Turn | undefined {
  const last = entries[entries.length - 1];
  return last?.type === "turn" && last.turn.ended === undefined && !last.turn.unfinished ? last.turn : undefined;
}

/** `entries` with the open turn replaced by `change(turn)`; a turn is opened first when none is (its start unseen). */
function withOpenTurn(entries: TimelineEntry[], event: CaoEventJson, change: (turn: Turn) => Turn): TimelineEntry[] {
  const open = openTurn(entries);
  if (open) return [...entries.slice(0, -1), { type: "turn", turn: change(open) }];
  return [...entries, { type: "turn" as const, turn: change({ key: `turn-${event.seq}`, steps: [] }) }];
}

const bounded = <T>(items: T[], limit: number): T[] => (items.length > limit ? items.slice(-limit) : items);

/** Which step of `turn` an agent_tool_finished closes: same tool_use_id, else the last running call of that tool. */
function runningIndex(turn: Turn, toolUseId: string | null, toolName: string): number {
  for (let i = turn.steps.length - 1; i >= 0; i--) {
    const step = turn.steps[i]!;
    if (step.type !== "tool" || step.tool.state !== "running") continue;
    if (toolUseId !== null ? step.tool.toolUseId === toolUseId : step.tool.toolName === toolName) return i;
  }
  return -1;
}

function entriesAfter(entries: TimelineEntry[], event: CaoEventJson): TimelineEntry[] {
  const time = event.timestamp;
  switch (event.event_type) {
    case "agent_turn_started": {
      // A new prompt closes a turn whose end was never reported (the user interrupted it): marked, without an end.
      const open = openTurn(entries);
      const before = open
        ? [...entries.slice(0, -1), { type: "turn" as const, turn: { ...open, unfinished: true } }]
        : entries;
      const turn: Turn = { key: `turn-${event.seq}`, prompt: str(event.prompt), started: time, steps: [] };
      return [...before, { type: "turn", turn }];
    }
    case "agent_tool_started": {
      const input = inputOf(event.tool_input);
      const tool: ToolCall = {
        key: `tool-${event.seq}`,
        toolUseId: str(event.tool_use_id) || null,
        toolName: str(event.tool_name),
        summary: toolInputSummary(input),
        ...(input ? { input } : {}),
        state: "running",
        started: time,
        durationMs: null,
      };
      return withOpenTurn(entries, event, (turn) => ({
        ...turn,
        steps: bounded([...turn.steps, { type: "tool", tool }], TURN_STEPS),
      }));
    }
    case "agent_tool_finished": {
      const toolUseId = str(event.tool_use_id) || null;
      const toolName = str(event.tool_name);
      const finish = (tool: ToolCall): ToolCall => ({
        ...tool,
        state: event.ok === true ? "ok" : "failed",
        finished: time,
        durationMs: num(event.duration_ms),
        output: str(event.output),
      });
      return withOpenTurn(entries, event, (turn) => {
        const at = runningIndex(turn, toolUseId, toolName);
        if (at >= 0) {
          const steps = [...turn.steps];
          steps[at] = { type: "tool", tool: finish((steps[at] as { tool: ToolCall }).tool) };
          return { ...turn, steps };
        }
        // Its start was not seen: still worth showing, without its input.
        const tool = finish({
          key: `tool-${event.seq}`,
          toolUseId,
          toolName,
          summary: "",
          state: "running",
          durationMs: null,
        });
        return { ...turn, steps: bounded([...turn.steps, { type: "tool", tool }], TURN_STEPS) };
      });
    }
    case "agent_turn_ended":
      return withOpenTurn(entries, event, (turn) => ({
        ...turn,
        ended: time,
        lastMessage: str(event.last_message),
        usage: usageOf(event.usage),
      }));
    case "agent_notification": {
      const note: AgentNote = { key: `note-${event.seq}`, kind: str(event.kind), message: str(event.message), time };
      const open = openTurn(entries);
      if (!open) return [...entries, { type: "note", note }];
      return withOpenTurn(entries, event, (turn) => ({
        ...turn,
        steps: bounded([...turn.steps, { type: "note", note }], TURN_STEPS),
      }));
    }
    default:
      return entries;
  }
}

/** The timelines after one event: unchanged (the same object) for events that are not an agent's report. */
export function timelinesAfter(
  timelines: Record<string, AgentTimeline>,
  event: CaoEventJson,
): Record<string, AgentTimeline> {
  if (!AGENT_EVENT_TYPES.has(event.event_type)) return timelines;
  const terminal = str(event.terminal_id);
  if (!terminal) return timelines;
  const before = timelines[terminal];
  const entries = bounded(entriesAfter(before?.entries ?? [], event), TIMELINE_ENTRIES);
  return { ...timelines, [terminal]: { entries, lastTime: event.timestamp, lastSeq: event.seq } };
}

/** The terminal whose timeline is shown: the chosen one while it exists, else the one whose agent reported last. */
export function shownTerminal(
  selected: string,
  terminals: readonly Terminal[],
  timelines: Record<string, AgentTimeline>,
): string {
  if (terminals.some((t) => t.id === selected)) return selected;
  let best = "";
  let bestSeq = -1;
  for (const t of terminals) {
    const seq = timelines[t.id]?.lastSeq ?? -1;
    if (seq > bestSeq) [best, bestSeq] = [t.id, seq];
  }
  return best;
}
