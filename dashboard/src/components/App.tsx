import { useEffect, useReducer, useState } from "preact/hooks";
import { startFeed, type FeedStatus } from "../live-feed.js";
import { emptyState, reduce } from "../state.js";
import { shownTerminal } from "../timeline.js";
import { EventLog } from "./EventLog.js";
import { LaunchForm } from "./LaunchForm.js";
import { MessageFlow } from "./MessageFlow.js";
import { PluginsPanel } from "./PluginsPanel.js";
import { SendForm } from "./SendForm.js";
import { SessionsPanel } from "./SessionsPanel.js";
import { TerminalView } from "./TerminalView.js";
import { FleetView } from "./FleetView.js";
import { Timeline } from "./Timeline.js";

export function App() {
  const [state, dispatch] = useReducer(reduce, emptyState);
  const [feed, setFeed] = useState<FeedStatus>("connecting");
  const [problem, setProblem] = useState<string | undefined>();
  const [target, setTarget] = useState<string>("");
  const [watched, setWatched] = useState<string>("");
  const [viewed, setViewed] = useState<string>("");

  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    startFeed({ dispatch, status: setFeed, error: setProblem })
      .then((close) => (cancelled ? close() : (stop = close)))
      .catch((error: Error) => setProblem(`could not load the state: ${error.message}`));
    return () => {
      cancelled = true;
      stop?.();
    };
  }, []);

  const terminals = Object.values(state.terminals);
  const shown = shownTerminal(watched, terminals, state.timelines);
  // The chosen terminal while it exists; else one that waits for an answer, so its prompt is on screen at once.
  const viewedTerminal =
    state.terminals[viewed] ?? terminals.find((t) => t.status === "waiting_user_answer") ?? undefined;
  // A waiting terminal shown that way becomes the chosen one, so that its answer stays on screen once it stops waiting.
  const shownId = viewedTerminal?.id ?? "";
  useEffect(() => {
    if (shownId && shownId !== viewed) setViewed(shownId);
  }, [shownId]);
  return (
    <div class="page">
      <header class="top">
        <h1>CLI Agent Orchestrator</h1>
        <span class={`feed feed-${feed}`} role="status" aria-live="polite" data-testid="feed-status">
          {feed === "live" ? "live" : feed} · seq {state.lastSeq}
        </span>
      </header>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <main class="grid">
        <div class="column">
          <SessionsPanel
            sessions={Object.values(state.sessions)}
            terminals={terminals}
            watched={shown}
            onMessage={setTarget}
            onWatch={setWatched}
            viewed={viewedTerminal?.id ?? ""}
            onView={setViewed}
          />
          <TerminalView terminal={viewedTerminal} />
          <LaunchForm />
          <SendForm terminals={terminals} target={target} onTarget={setTarget} />
        </div>
        <div class="column">
          <MessageFlow flow={state.flow} terminals={state.terminals} />
          <Timeline terminals={terminals} timelines={state.timelines} shown={shown} onSelect={setWatched} />
          <PluginsPanel plugins={state.plugins} onRow={(row) => dispatch({ type: "plugin", row })} />
          <EventLog log={state.log} />
        </div>
      </main>
      <FleetView />
    </div>
  );
}
