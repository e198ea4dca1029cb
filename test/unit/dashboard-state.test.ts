/**
 * The dashboard's state reducer (dashboard/src/state.ts), a pure function: what the page shows after the first GETs,
 * after each event of the live feed (sessions, terminals, the message flow, the log) and after a refresh of a row.
 * The browser test (test/dashboard.test.ts) shows the same through a real page; these pin down the edge cases.
 */
import { describe, expect, it } from "vitest";
import {
  emptyState,
  FLOW_LIMIT,
  LOG_LIMIT,
  reduce,
  type Action,
  type DashboardState,
} from "../../dashboard/src/state.js";
import { duration } from "../../dashboard/src/time.js";
import { shownTerminal, TIMELINE_ENTRIES, TURN_STEPS, type Turn } from "../../dashboard/src/timeline.js";
import type { CaoEventJson, PluginRow, Terminal } from "../../dashboard/src/types.js";

let seq = 0;
/** A feed event of `type` with the next seq. */
function event(type: CaoEventJson["event_type"], fields: Record<string, unknown> = {}): CaoEventJson {
  seq++;
  return {
    seq,
    event_type: type,
    timestamp: `2030-01-01T00:00:${String(seq % 60).padStart(2, "0")}Z`,
    session_id: "cao-s",
    ...fields,
  };
}

function terminal(id: string, session: string, status: Terminal["status"] = "idle"): Terminal {
  return {
    id,
    name: `t-${id}`,
    provider: "mock",
    session_name: session,
    agent_profile: "dev",
    status,
    caller_id: null,
    allowed_tools: null,
  };
}

function plugin(name: string, status: PluginRow["status"] = "active"): PluginRow {
  return { name, source: "dir", path: `/plugins/${name}.ts`, status, isolation: "inline", hooks: [] };
}

const run = (actions: Action[], from: DashboardState = emptyState) => actions.reduce(reduce, from);
const feed = (...events: CaoEventJson[]): Action[] => events.map((e) => ({ type: "event", event: e }));

describe("loaded", () => {
  it("takes sessions, terminals and plugins from the GETs, and the history only into the flow and the log", () => {
    const history = [
      event("session_killed", { session_name: "cao-s" }),
      event("message_sent", { sender: "a", receiver: "b", message: "m", orchestration_type: "handoff" }),
    ];
    const state = run([
      {
        type: "loaded",
        sessions: [{ id: "cao-s", name: "cao-s", status: "active" }],
        terminals: [terminal("t1", "cao-s")],
        plugins: [plugin("p")],
        history,
      },
    ]);
    // The session_killed in the history does not remove what the GETs say exists now.
    expect(Object.keys(state.sessions)).toEqual(["cao-s"]);
    expect(Object.keys(state.terminals)).toEqual(["t1"]);
    expect(state.plugins).toEqual([plugin("p")]);
    expect(state.log.map((e) => e.event_type)).toEqual(["message_sent", "session_killed"]); // newest first
    expect(state.flow).toHaveLength(1);
    expect(state.lastSeq).toBe(history[1]!.seq);
  });
});

describe("the live feed", () => {
  it("an event already seen (a reconnect replaying from Last-Event-ID) changes nothing", () => {
    const created = event("session_created", { session_name: "cao-x" });
    const once = run(feed(created));
    expect(reduce(once, { type: "event", event: created })).toBe(once);
    expect(reduce(once, { type: "event", event: { ...created, seq: created.seq - 1 } })).toBe(once);
  });

  it("sessions and terminals come and go with their events; killing a session takes its terminals with it", () => {
    let state = run(
      feed(
        event("session_created", { session_name: "cao-a" }),
        event("terminal_created", { session_id: "cao-a", terminal_id: "t1", provider: "mock", agent_name: "dev" }),
      ),
    );
    expect(state.terminals.t1).toMatchObject({
      id: "t1",
      session_name: "cao-a",
      provider: "mock",
      agent_profile: "dev",
      status: "unknown",
    });
    state = run(feed(event("terminal_status_changed", { terminal_id: "t1", status: "processing" })), state);
    expect(state.terminals.t1!.status).toBe("processing");
    state = run(feed(event("terminal_created", { session_id: "cao-b", terminal_id: "t2" })), state);
    expect(Object.keys(state.sessions)).toEqual(["cao-a", "cao-b"]); // a terminal of an unseen session brings its session
    state = run(feed(event("session_killed", { session_name: "cao-a" })), state);
    expect(Object.keys(state.sessions)).toEqual(["cao-b"]);
    expect(Object.keys(state.terminals)).toEqual(["t2"]);
    state = run(feed(event("terminal_killed", { terminal_id: "t2" })), state);
    expect(state.terminals).toEqual({});
  });

  it("a status change of a terminal the page does not know is only logged", () => {
    const state = run(feed(event("terminal_status_changed", { terminal_id: "ghost", status: "idle" })));
    expect(state.terminals).toEqual({});
    expect(state.log).toHaveLength(1);
  });

  it("the log keeps the newest LOG_LIMIT events", () => {
    const events = Array.from({ length: LOG_LIMIT + 5 }, () =>
      event("terminal_status_changed", { terminal_id: "x", status: "idle" }),
    );
    const state = run(feed(...events));
    expect(state.log).toHaveLength(LOG_LIMIT);
    expect(state.log[0]!.seq).toBe(events.at(-1)!.seq);
    expect(state.log.at(-1)!.seq).toBe(events[5]!.seq);
  });
});

describe("the message flow", () => {
  it("an inbox message is one arrow: queued, then delivered, and the message_sent that follows delivery is folded into it", () => {
    const state = run(
      feed(
        event("inbox_message_queued", { message_id: 7, sender: "a", receiver: "b", message: "hi" }),
        event("inbox_message_delivered", { message_id: 7, sender: "a", receiver: "b" }),
        event("message_sent", { sender: "a", receiver: "b", message: "hi", orchestration_type: "send_message" }),
      ),
    );
    expect(state.flow).toEqual([
      expect.objectContaining({
        key: "inbox-7",
        messageId: 7,
        sender: "a",
        receiver: "b",
        message: "hi",
        state: "delivered",
        confirmed: true,
      }),
    ]);
  });

  it("a failed inbox message shows why; one queued before the history window still shows, without its text", () => {
    const state = run(
      feed(
        event("inbox_message_queued", { message_id: 1, sender: "a", receiver: "b", message: "first" }),
        event("inbox_message_failed", { message_id: 1, sender: "a", receiver: "b", reason: "receiver exited" }),
        event("inbox_message_delivered", { message_id: 2, sender: "a", receiver: "c" }),
      ),
    );
    expect(state.flow.map(({ key, state, message, reason }) => ({ key, state, message, reason }))).toEqual([
      { key: "inbox-1", state: "failed", message: "first", reason: "receiver exited" },
      { key: "inbox-2", state: "delivered", message: "", reason: "" },
    ]);
  });

  it("handoff and assign are arrows of their own; a send_message with no delivered inbox entry to confirm is one too", () => {
    const state = run(
      feed(
        event("message_sent", { sender: "a", receiver: "b", message: "do it", orchestration_type: "handoff" }),
        event("message_sent", { sender: "a", receiver: "c", message: "direct", orchestration_type: "send_message" }),
      ),
    );
    expect(state.flow.map((m) => [m.kind, m.receiver, m.message, m.state])).toEqual([
      ["handoff", "b", "do it", "delivered"],
      ["send_message", "c", "direct", "delivered"],
    ]);
  });

  it("keeps the last FLOW_LIMIT arrows", () => {
    const events = Array.from({ length: FLOW_LIMIT + 3 }, (_, i) =>
      event("message_sent", { sender: "a", receiver: "b", message: `m${i}`, orchestration_type: "assign" }),
    );
    const state = run(feed(...events));
    expect(state.flow).toHaveLength(FLOW_LIMIT);
    expect(state.flow[0]!.message).toBe("m3");
  });
});

describe("refreshing rows", () => {
  it("a terminal's fresh GET updates it, unless it was killed while the GET was in flight", () => {
    const state = run([
      {
        type: "loaded",
        sessions: [{ id: "cao-s", name: "cao-s", status: "active" }],
        terminals: [terminal("t1", "cao-s")],
        plugins: [],
        history: [],
      },
    ]);
    const refreshed = reduce(state, {
      type: "terminal",
      terminal: { ...terminal("t1", "cao-s", "completed"), last_active: "2030-01-01T00:00:00Z" },
    });
    expect(refreshed.terminals.t1).toMatchObject({ status: "completed", last_active: "2030-01-01T00:00:00Z" });
    expect(reduce(state, { type: "terminal", terminal: terminal("gone", "cao-s") })).toBe(state);
  });

  it("a session's terminals are merged in only while the session is shown", () => {
    const state = run([
      {
        type: "loaded",
        sessions: [{ id: "cao-s", name: "cao-s", status: "active" }],
        terminals: [],
        plugins: [],
        history: [],
      },
    ]);
    expect(
      Object.keys(
        reduce(state, { type: "terminals", session: "cao-s", terminals: [terminal("t1", "cao-s")] }).terminals,
      ),
    ).toEqual(["t1"]);
    expect(reduce(state, { type: "terminals", session: "cao-gone", terminals: [terminal("t9", "cao-gone")] })).toBe(
      state,
    );
  });

  it("a plugin row replaces the row of its name in place, or is appended; a plugin list replaces them all", () => {
    let state = run([{ type: "plugins", plugins: [plugin("a"), plugin("b")] }]);
    state = reduce(state, { type: "plugin", row: plugin("a", "disabled") });
    state = reduce(state, { type: "plugin", row: plugin("c") });
    expect(state.plugins.map((p) => [p.name, p.status])).toEqual([
      ["a", "disabled"],
      ["b", "active"],
      ["c", "active"],
    ]);
    expect(reduce(state, { type: "plugins", plugins: [] }).plugins).toEqual([]);
  });
});

describe("agent timelines (what agents report through their hooks)", () => {
  const base = { terminal_id: "t1", agent_name: "dev", provider: "claude_code" };
  const agent = (type: CaoEventJson["event_type"], fields: Record<string, unknown> = {}) =>
    event(type, { ...base, ...fields });
  const timelineOf = (state: DashboardState, id = "t1") => state.timelines[id]!.entries;
  const turnAt = (state: DashboardState, index: number, id = "t1"): Turn => {
    const entry = timelineOf(state, id)[index]!;
    if (entry.type !== "turn") throw new Error(`entry ${index} is a ${entry.type}`);
    return entry.turn;
  };
  const known = (...ids: string[]) =>
    run(
      [{ type: "terminals", session: "cao-s", terminals: ids.map((id) => terminal(id, "cao-s")) }],
      run([
        {
          type: "loaded",
          sessions: [{ id: "cao-s", name: "cao-s", status: "active" }],
          terminals: [],
          plugins: [],
          history: [],
        },
      ]),
    );

  it("a turn holds its tool calls in order, each closed by its tool_use_id with outcome, duration and output; the end brings usage", () => {
    const state = run(
      feed(
        agent("agent_turn_started", { prompt: "fix it" }),
        agent("agent_tool_started", { tool_name: "Bash", tool_input: { command: "npm test" }, tool_use_id: "a" }),
        agent("agent_tool_started", { tool_name: "Read", tool_input: { file_path: "/x.ts" }, tool_use_id: "b" }),
        agent("agent_tool_finished", { tool_name: "Read", tool_use_id: "b", ok: true, output: "…", duration_ms: 3 }),
        agent("agent_tool_finished", {
          tool_name: "Bash",
          tool_use_id: "a",
          ok: false,
          output: "1 failing",
          duration_ms: 900,
        }),
        agent("agent_turn_ended", { last_message: "done", usage: { input_tokens: 10, output_tokens: 2 } }),
      ),
    );
    expect(timelineOf(state)).toHaveLength(1);
    const turn = turnAt(state, 0);
    expect(turn).toMatchObject({ prompt: "fix it", lastMessage: "done", usage: { inputTokens: 10, outputTokens: 2 } });
    expect(turn.ended).toBeDefined();
    expect(
      turn.steps.map((s) =>
        s.type === "tool" ? [s.tool.toolName, s.tool.summary, s.tool.state, s.tool.durationMs] : s.type,
      ),
    ).toEqual([
      ["Bash", "npm test", "failed", 900],
      ["Read", "/x.ts", "ok", 3],
    ]);
  });

  it("without tool_use_id a finish closes the last running call of that tool; a finish whose start was not seen still shows", () => {
    const state = run(
      feed(
        agent("agent_tool_started", { tool_name: "shell", tool_input: { command: ["bash", "-lc", "ls -la"] } }),
        agent("agent_tool_finished", { tool_name: "shell", ok: true, output: "", duration_ms: null }),
        agent("agent_tool_finished", { tool_name: "Write", ok: true, output: "" }),
      ),
    );
    // No agent_turn_started seen: one turn without a prompt holds them.
    const turn = turnAt(state, 0);
    expect(turn.prompt).toBeUndefined();
    expect(
      turn.steps.map((s) => (s.type === "tool" ? [s.tool.toolName, s.tool.summary, s.tool.state] : s.type)),
    ).toEqual([
      ["shell", "ls -la", "ok"],
      ["Write", "", "ok"],
    ]);
  });

  it("a new prompt before the end marks the turn unfinished; notifications go into the open turn, or between turns", () => {
    const state = run(
      feed(
        agent("agent_notification", { kind: "idle", message: "waiting" }),
        agent("agent_turn_started", { prompt: "one" }),
        agent("agent_notification", { kind: "permission_prompt", message: "may I?" }),
        agent("agent_turn_started", { prompt: "two" }),
        agent("agent_turn_ended", { last_message: "ok", usage: null }),
      ),
    );
    expect(timelineOf(state).map((e) => e.type)).toEqual(["note", "turn", "turn"]);
    expect(turnAt(state, 1)).toMatchObject({ prompt: "one", unfinished: true });
    expect(turnAt(state, 1).steps).toEqual([
      { type: "note", note: expect.objectContaining({ kind: "permission_prompt", message: "may I?" }) },
    ]);
    expect(turnAt(state, 2)).toMatchObject({ prompt: "two", lastMessage: "ok", usage: null });
  });

  it("keeps the last TIMELINE_ENTRIES turns per terminal and TURN_STEPS steps per turn; other events leave timelines as they are", () => {
    const turns = Array.from({ length: TIMELINE_ENTRIES + 3 }, (_, i) =>
      agent("agent_turn_started", { prompt: `p${i}` }),
    );
    let state = run(feed(...turns));
    expect(timelineOf(state)).toHaveLength(TIMELINE_ENTRIES);
    expect(turnAt(state, 0).prompt).toBe("p3");
    const tools = Array.from({ length: TURN_STEPS + 1 }, (_, i) =>
      agent("agent_tool_started", { tool_name: `T${i}`, tool_input: {} }),
    );
    state = run(feed(...tools), state);
    const last = turnAt(state, TIMELINE_ENTRIES - 1);
    expect(last.steps).toHaveLength(TURN_STEPS);
    expect(last.steps[0]).toMatchObject({ tool: { toolName: "T1" } });
    const timelines = state.timelines;
    expect(run(feed(event("session_created", { session_name: "cao-z" })), state).timelines).toBe(timelines);
  });

  it("timelines are per terminal, and go with their terminal (killed, its session killed, or gone before the page loaded)", () => {
    let state = known("t1", "t2");
    state = run(
      feed(
        agent("agent_turn_started", { prompt: "a" }),
        agent("agent_turn_started", { prompt: "b", terminal_id: "t2" }),
      ),
      state,
    );
    expect(Object.keys(state.timelines).sort()).toEqual(["t1", "t2"]);
    state = run(feed(event("terminal_killed", { terminal_id: "t1" })), state);
    expect(Object.keys(state.timelines)).toEqual(["t2"]);
    state = run(feed(event("session_killed", { session_name: "cao-s" })), state);
    expect(state.timelines).toEqual({});

    const loaded = run([
      {
        type: "loaded",
        sessions: [{ id: "cao-s", name: "cao-s", status: "active" }],
        terminals: [terminal("t3", "cao-s")],
        plugins: [],
        history: [
          agent("agent_turn_started", { prompt: "old", terminal_id: "t0" }),
          agent("agent_turn_started", { prompt: "now", terminal_id: "t3" }),
        ],
      },
    ]);
    expect(Object.keys(loaded.timelines)).toEqual(["t3"]);
  });
});

describe("the terminal whose timeline is shown", () => {
  it("the chosen one while it exists, else the one whose agent reported last, else none", () => {
    const terminals = [terminal("t1", "cao-s"), terminal("t2", "cao-s"), terminal("t3", "cao-s")];
    const state = run(
      feed(
        event("agent_turn_started", { terminal_id: "t2", prompt: "a" }),
        event("agent_turn_started", { terminal_id: "t1", prompt: "b" }),
        event("agent_turn_started", { terminal_id: "gone", prompt: "c" }),
      ),
    );
    expect(shownTerminal("t3", terminals, state.timelines)).toBe("t3");
    expect(shownTerminal("", terminals, state.timelines)).toBe("t1");
    expect(shownTerminal("t9", terminals, state.timelines)).toBe("t1"); // chosen, then killed
    expect(shownTerminal("", terminals, {})).toBe("");
  });
});

describe("durations", () => {
  it("milliseconds under a second, seconds to a tenth under a minute, then minutes and seconds", () => {
    expect([0, 12.4, 999, 999.6, 1234, 59_940, 59_960, 185_000].map(duration)).toEqual([
      "0 ms",
      "12 ms",
      "999 ms",
      "1.0 s",
      "1.2 s",
      "59.9 s",
      "1 min 0 s",
      "3 min 5 s",
    ]);
  });
});
