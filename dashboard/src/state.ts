import { timelinesAfter, type AgentTimeline } from "./timeline.js";
import type { CaoEventJson, PluginRow, SessionSummary, Terminal } from "./types.js";

/** A message between agents as the flow diagram shows it; inbox messages move from queued to delivered or failed. */
export interface FlowMessage {
  key: string;
  sender: string;
  receiver: string;
  message: string;
  kind: string;
  state: "queued" | "delivered" | "failed";
  time: string;
  reason?: string;
  /** For inbox messages: the message_sent that follows delivery was folded into this entry. */
  confirmed?: boolean;
  messageId?: number;
}

export interface DashboardState {
  sessions: Record<string, SessionSummary>;
  terminals: Record<string, Terminal>;
  plugins: PluginRow[];
  flow: FlowMessage[];
  /** Newest first, bounded. */
  log: CaoEventJson[];
  /** Per terminal id: its agent's turns and tool calls, as its hooks reported them. */
  timelines: Record<string, AgentTimeline>;
  lastSeq: number;
}

export const LOG_LIMIT = 300;
export const FLOW_LIMIT = 200;

export const emptyState: DashboardState = {
  sessions: {},
  terminals: {},
  plugins: [],
  flow: [],
  log: [],
  timelines: {},
  lastSeq: 0,
};

export type Action =
  | { type: "loaded"; sessions: SessionSummary[]; terminals: Terminal[]; plugins: PluginRow[]; history: CaoEventJson[] }
  | { type: "event"; event: CaoEventJson }
  | { type: "terminal"; terminal: Terminal }
  | { type: "terminals"; session: string; terminals: Terminal[] }
  | { type: "plugins"; plugins: PluginRow[] }
  | { type: "plugin"; row: PluginRow };

const str = (value: unknown): string =>
  typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);

export function reduce(state: DashboardState, action: Action): DashboardState {
  switch (action.type) {
    case "loaded": {
      const sessions = Object.fromEntries(action.sessions.map((s) => [s.name, s]));
      const terminals = Object.fromEntries(action.terminals.map((t) => [t.id, t]));
      // History feeds the flow, the log and the timelines only: the GET routes already hold the current sessions and
      // statuses. Timelines of terminals gone since (the history is read before the GETs) are dropped.
      let next: DashboardState = { ...state, sessions, terminals, plugins: action.plugins };
      for (const event of action.history) next = record(next, event);
      const timelines = Object.fromEntries(Object.entries(next.timelines).filter(([id]) => terminals[id]));
      return { ...next, timelines };
    }
    case "event":
      // A reconnect replays from Last-Event-ID; seq makes a repeated event harmless.
      if (action.event.seq <= state.lastSeq) return state;
      return apply(record(state, action.event), action.event);
    case "terminal": {
      const known = state.terminals[action.terminal.id];
      // The terminal may have been killed while its GET was in flight: only refresh what is still shown.
      if (!known) return state;
      return { ...state, terminals: { ...state.terminals, [action.terminal.id]: { ...known, ...action.terminal } } };
    }
    case "terminals": {
      if (!state.sessions[action.session]) return state;
      const terminals = { ...state.terminals };
      for (const terminal of action.terminals) terminals[terminal.id] = terminal;
      return { ...state, terminals };
    }
    case "plugins":
      return { ...state, plugins: action.plugins };
    case "plugin": {
      const exists = state.plugins.some((p) => p.name === action.row.name);
      const plugins = exists
        ? state.plugins.map((p) => (p.name === action.row.name ? action.row : p))
        : [...state.plugins, action.row];
      return { ...state, plugins };
    }
  }
}

/** Log, flow and timelines: what every event adds to the page's history. */
function record(state: DashboardState, event: CaoEventJson): DashboardState {
  const log = [event, ...state.log].slice(0, LOG_LIMIT);
  return {
    ...state,
    log,
    lastSeq: Math.max(state.lastSeq, event.seq),
    flow: flowAfter(state.flow, event),
    timelines: timelinesAfter(state.timelines, event),
  };
}

function flowAfter(flow: FlowMessage[], event: CaoEventJson): FlowMessage[] {
  const sender = str(event.sender);
  const receiver = str(event.receiver);
  switch (event.event_type) {
    case "inbox_message_queued":
      return [
        ...flow,
        {
          key: `inbox-${str(event.message_id)}`,
          messageId: Number(event.message_id),
          sender,
          receiver,
          message: str(event.message),
          kind: "send_message",
          state: "queued" as const,
          time: event.timestamp,
        },
      ].slice(-FLOW_LIMIT);
    case "inbox_message_delivered":
    case "inbox_message_failed": {
      const key = `inbox-${str(event.message_id)}`;
      const state = event.event_type === "inbox_message_delivered" ? ("delivered" as const) : ("failed" as const);
      if (!flow.some((m) => m.key === key)) {
        // Queued before the history window: still worth showing, without its text.
        return [
          ...flow,
          {
            key,
            messageId: Number(event.message_id),
            sender,
            receiver,
            message: "",
            kind: "send_message",
            state,
            time: event.timestamp,
            reason: str(event.reason),
          },
        ].slice(-FLOW_LIMIT);
      }
      return flow.map((m) =>
        m.key === key
          ? { ...m, state, time: event.timestamp, ...(state === "failed" ? { reason: str(event.reason) } : {}) }
          : m,
      );
    }
    case "message_sent": {
      const kind = str(event.orchestration_type);
      if (kind === "send_message") {
        // Inbox delivery announces itself twice (inbox_message_delivered, then message_sent): one arrow, not two.
        const match = flow.find(
          (m) =>
            m.messageId !== undefined &&
            !m.confirmed &&
            m.state === "delivered" &&
            m.sender === sender &&
            m.receiver === receiver,
        );
        if (match)
          return flow.map((m) =>
            m === match ? { ...m, confirmed: true, message: m.message || str(event.message) } : m,
          );
      }
      return [
        ...flow,
        {
          key: `sent-${event.seq}`,
          sender,
          receiver,
          message: str(event.message),
          kind,
          state: "delivered" as const,
          time: event.timestamp,
        },
      ].slice(-FLOW_LIMIT);
    }
    default:
      return flow;
  }
}

/** Sessions and terminals as events change them. */
function apply(state: DashboardState, event: CaoEventJson): DashboardState {
  switch (event.event_type) {
    case "session_created": {
      const name = str(event.session_name);
      if (state.sessions[name]) return state;
      return { ...state, sessions: { ...state.sessions, [name]: { id: name, name, status: "active" } } };
    }
    case "session_killed": {
      const name = str(event.session_name);
      const sessions = { ...state.sessions };
      delete sessions[name];
      const terminals = Object.fromEntries(Object.entries(state.terminals).filter(([, t]) => t.session_name !== name));
      const timelines = Object.fromEntries(Object.entries(state.timelines).filter(([id]) => terminals[id]));
      return { ...state, sessions, terminals, timelines };
    }
    case "terminal_created": {
      const id = str(event.terminal_id);
      if (state.terminals[id]) return state;
      const session = str(event.session_id);
      const terminal: Terminal = {
        id,
        name: "",
        provider: str(event.provider),
        session_name: session,
        agent_profile: str(event.agent_name),
        status: "unknown",
        caller_id: null, // not in the event; the next refresh reads it
        allowed_tools: null,
      };
      const sessions = state.sessions[session]
        ? state.sessions
        : { ...state.sessions, [session]: { id: session, name: session, status: "active" as const } };
      return { ...state, sessions, terminals: { ...state.terminals, [id]: terminal } };
    }
    case "terminal_killed": {
      const terminals = { ...state.terminals };
      const timelines = { ...state.timelines };
      delete terminals[str(event.terminal_id)];
      delete timelines[str(event.terminal_id)];
      return { ...state, terminals, timelines };
    }
    case "terminal_status_changed": {
      const id = str(event.terminal_id);
      const known = state.terminals[id];
      if (!known) return state;
      return {
        ...state,
        terminals: { ...state.terminals, [id]: { ...known, status: str(event.status) as Terminal["status"] } },
      };
    }
    default:
      return state;
  }
}
