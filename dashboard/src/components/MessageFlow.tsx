import type { FlowMessage } from "../state.js";
import { clock } from "../time.js";
import type { Terminal } from "../types.js";

const SHOWN = 30;
const COLUMN = 180;
const LEFT = 64; // room for the time of each message
const HEAD = 52;
const ROW = 38;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The messages between agents as a sequence diagram: one lifeline per terminal that took part, one arrow per message,
 * newest at the bottom. Queued inbox messages are dashed until delivered; failed ones are red.
 */
export function MessageFlow(props: { flow: FlowMessage[]; terminals: Record<string, Terminal> }) {
  const shown = props.flow.slice(-SHOWN);
  const participants: string[] = [];
  for (const m of shown) for (const id of [m.sender, m.receiver]) if (!participants.includes(id)) participants.push(id);
  const x = (id: string) => LEFT + COLUMN / 2 + participants.indexOf(id) * COLUMN;
  const width = LEFT + Math.max(participants.length, 2) * COLUMN;
  const height = HEAD + shown.length * ROW + 16;

  return (
    <section class="panel" aria-labelledby="flow-title">
      <h2 id="flow-title">
        Message flow <span class="count">{props.flow.length}</span>
      </h2>
      {shown.length === 0 ? (
        <p class="empty">No messages between agents yet.</p>
      ) : (
        <div class="flow-scroll">
          <svg
            class="flow"
            data-testid="flow"
            width={width}
            height={height}
            viewBox={`0 0 ${width} ${height}`}
            role="img"
            aria-labelledby="flow-svg-title"
          >
            <title id="flow-svg-title">{`Sequence of the last ${shown.length} messages between ${participants.length} terminals`}</title>
            <defs>
              {["delivered", "queued", "failed"].map((state) => (
                <marker
                  key={state}
                  id={`arrow-${state}`}
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto-start-reverse"
                >
                  <path d="M0,0 L10,5 L0,10 z" class={`arrowhead-${state}`} />
                </marker>
              ))}
            </defs>
            {participants.map((id) => {
              const terminal = props.terminals[id];
              return (
                <g key={id} class="lifeline" data-participant={id}>
                  <rect
                    x={x(id) - COLUMN / 2 + 8}
                    y={6}
                    width={COLUMN - 16}
                    height={34}
                    rx={6}
                    class={terminal ? "actor" : "actor gone"}
                  />
                  <text x={x(id)} y={21} class="actor-name">
                    {clip(terminal?.agent_profile ?? "terminal", 18)}
                  </text>
                  <text x={x(id)} y={34} class="actor-id">
                    {id}
                  </text>
                  <line x1={x(id)} y1={40} x2={x(id)} y2={height - 6} class="lifeline-line" />
                </g>
              );
            })}
            {shown.map((m, i) => {
              const y = HEAD + i * ROW + 18;
              const from = x(m.sender);
              const to = x(m.receiver);
              const self = from === to;
              const label = `${m.kind === "send_message" ? "" : `${m.kind}: `}${m.message || "(text not in history)"}`;
              return (
                <g
                  key={m.key}
                  class={`message message-${m.state} kind-${m.kind}`}
                  data-sender={m.sender}
                  data-receiver={m.receiver}
                  data-state={m.state}
                >
                  <title>{`${m.sender} → ${m.receiver} · ${m.kind} · ${m.state}${m.reason ? ` (${m.reason})` : ""} · ${new Date(m.time).toLocaleString()}\n${m.message}`}</title>
                  <text x={6} y={y + 4} class="time">
                    {clock(m.time)}
                  </text>
                  {self ? (
                    <path
                      d={`M${from},${y - 6} h34 v14 h-30`}
                      class="arrow"
                      marker-end={`url(#arrow-${m.state})`}
                      fill="none"
                    />
                  ) : (
                    <line
                      x1={from}
                      y1={y}
                      x2={to + (to > from ? -3 : 3)}
                      y2={y}
                      class="arrow"
                      marker-end={`url(#arrow-${m.state})`}
                    />
                  )}
                  <text x={self ? from + 40 : (from + to) / 2} y={y - 6} class={self ? "label label-self" : "label"}>
                    {clip(label, Math.max(16, Math.floor((Math.abs(to - from) || COLUMN) / 7)))}
                    {m.state === "failed" ? " ✕" : m.state === "queued" ? " …" : ""}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      )}
    </section>
  );
}
