import type { AgentNote, AgentTimeline, ToolCall, Turn } from "../timeline.js";
import { clock, duration } from "../time.js";
import type { Terminal } from "../types.js";
import { Field } from "./Field.js";

const between = (from: string, to: string) => duration(Math.max(0, Date.parse(to) - Date.parse(from)));
const tokens = (n: number) => n.toLocaleString("en-US");

/**
 * One terminal's agent from the inside, as its CLI's own hooks report it: each turn (prompt, start, end, tokens) with
 * its tool calls (tool, what it ran, ok or failed, how long) and notifications, newest turn first, live.
 */
export function Timeline(props: {
  terminals: Terminal[];
  timelines: Record<string, AgentTimeline>;
  /** From shownTerminal(). */
  shown: string;
  onSelect(terminalId: string): void;
}) {
  const terminals = [...props.terminals].sort((a, b) => a.id.localeCompare(b.id));
  const { shown } = props;
  const entries = props.timelines[shown]?.entries ?? [];
  const turns = entries.filter((e) => e.type === "turn").length;
  return (
    <section class="panel" aria-labelledby="timeline-title" data-testid="timeline">
      <h2 id="timeline-title">
        Agent timeline <span class="count">{turns}</span>
      </h2>
      {terminals.length === 0 ? (
        <p class="empty">No terminals.</p>
      ) : (
        <div class="form timeline-pick">
          <Field id="timeline-terminal" label="Terminal">
            <select id="timeline-terminal" value={shown} onChange={(e) => props.onSelect(e.currentTarget.value)}>
              {shown === "" && <option value="">choose a terminal</option>}
              {terminals.map((t) => (
                <option key={t.id} value={t.id}>
                  {`${t.id} · ${t.agent_profile} (${t.provider})${props.timelines[t.id] ? "" : " · no reports yet"}`}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      {shown === "" && terminals.length > 0 && (
        <p class="empty">No agent has reported through its hooks yet: choose a terminal to follow.</p>
      )}
      {shown !== "" && entries.length === 0 && (
        <p class="empty">
          Nothing reported by this agent yet. Agents whose CLI has hooks report each turn and tool call here.
        </p>
      )}
      {entries.length > 0 && (
        <ol
          class="timeline"
          aria-label={`Turns and tool calls of terminal ${shown}, newest first`}
          data-timeline-of={shown}
        >
          {[...entries].reverse().map((entry) =>
            entry.type === "turn" ? (
              <TurnItem key={entry.turn.key} turn={entry.turn} />
            ) : (
              <li key={entry.note.key} class="between">
                <NoteLine note={entry.note} />
              </li>
            ),
          )}
        </ol>
      )}
    </section>
  );
}

function TurnItem({ turn }: { turn: Turn }) {
  const state = turn.ended ? "ended" : turn.unfinished ? "unfinished" : "running";
  const tools = turn.steps.filter((s) => s.type === "tool").length;
  return (
    <li class={`turn turn-${state}`} data-state={state}>
      <div class="turn-head">
        <span class="mono turn-time">{turn.started ? clock(turn.started) : "--:--:--"}</span>
        <span class={`status turn-badge turn-badge-${state}`}>
          {state === "ended" ? "turn ended" : state === "unfinished" ? "no end reported" : "working"}
        </span>
        <span class="turn-facts" data-testid="turn-facts">
          {turn.ended && turn.started && <span>took {between(turn.started, turn.ended)}</span>}
          {turn.ended && <span>ended {clock(turn.ended)}</span>}
          <span>
            {tools} tool call{tools === 1 ? "" : "s"}
          </span>
          {turn.usage && (
            <span class="tokens" data-testid="turn-usage">
              {tokens(turn.usage.inputTokens)} in · {tokens(turn.usage.outputTokens)} out tokens
            </span>
          )}
        </span>
      </div>
      <p class={turn.prompt === undefined ? "turn-prompt empty" : "turn-prompt"}>
        <span class="sr-only">Prompt: </span>
        {turn.prompt ?? "(began before what this page has seen)"}
      </p>
      {turn.steps.length > 0 && (
        <ol class="steps">
          {turn.steps.map((step) =>
            step.type === "tool" ? (
              <ToolItem key={step.tool.key} tool={step.tool} turnOver={state !== "running"} />
            ) : (
              <li key={step.note.key}>
                <NoteLine note={step.note} />
              </li>
            ),
          )}
        </ol>
      )}
      {turn.lastMessage && (
        <p class="turn-answer">
          <span class="sr-only">Last message: </span>
          {turn.lastMessage}
        </p>
      )}
    </li>
  );
}

/** A tool call; its full input and output open with Enter or Space on its summary (a native disclosure). */
function ToolItem({ tool, turnOver }: { tool: ToolCall; turnOver: boolean }) {
  const state = tool.state === "running" && turnOver ? "unknown" : tool.state;
  const label = { ok: "ok", failed: "failed", running: "running…", unknown: "no result" }[state];
  return (
    <li class={`tool tool-${state}`} data-tool={tool.toolName} data-state={state}>
      <details>
        <summary>
          <span class="tool-name">{tool.toolName}</span>
          <code class="tool-input">{tool.summary || (tool.input ? "" : "(input not seen)")}</code>
          <span class={`tool-badge tool-badge-${state}`}>{label}</span>
          <span class="mono tool-duration">{tool.durationMs !== null ? duration(tool.durationMs) : ""}</span>
        </summary>
        <div class="tool-detail">
          {tool.started && <p class="hint">started {clock(tool.started)}</p>}
          {tool.input && (
            <>
              <h4>Input</h4>
              <pre>{JSON.stringify(tool.input, null, 2)}</pre>
            </>
          )}
          {tool.output !== undefined && (
            <>
              <h4>Output</h4>
              <pre>{tool.output === "" ? "(none)" : tool.output}</pre>
            </>
          )}
        </div>
      </details>
    </li>
  );
}

function NoteLine({ note }: { note: AgentNote }) {
  return (
    <p class={`note note-${note.kind}`} data-kind={note.kind}>
      <span class="mono">{clock(note.time)}</span>
      <span class="note-kind">{note.kind.replace(/_/g, " ")}</span>
      <span>{note.message}</span>
    </p>
  );
}
