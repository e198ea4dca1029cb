import { api, enc } from "./api.js";
import type { Action } from "./state.js";
import { FEED_EVENT_TYPES } from "./feed-events.js";
import { type CaoEventJson, type PluginRow, type SessionSummary, type Terminal } from "./types.js";

/** closed: the server refused the stream (an HTTP error, e.g. 401 with a token): EventSource does not retry that. */
export type FeedStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface FeedHandlers {
  dispatch(action: Action): void;
  status(status: FeedStatus): void;
  error(message: string): void;
}

/**
 * Reads the state once from the GET routes, then follows `/events`. The history's last seq is taken BEFORE the
 * state is read and the stream resumes after it, so nothing that happens in between is missed (applying an event
 * the GETs already reflect is harmless). No polling: after this, only events trigger reads (a new terminal's status,
 * a plugin's new row). EventSource itself reconnects with Last-Event-ID when the server goes away and comes back.
 */
export async function startFeed(handlers: FeedHandlers): Promise<() => void> {
  let history: CaoEventJson[] = [];
  let journal = true;
  try {
    history = await api<CaoEventJson[]>("GET", "/events/history?limit=200");
  } catch (error) {
    journal = false;
    handlers.error(`event history unavailable: ${(error as Error).message}`);
  }
  const [sessions, plugins] = await Promise.all([
    api<SessionSummary[]>("GET", "/sessions"),
    api<PluginRow[]>("GET", "/plugins"),
  ]);
  const terminals = (
    await Promise.all(sessions.map((s) => api<Terminal[]>("GET", `/sessions/${enc(s.name)}/terminals`).catch(() => [])))
  ).flat();
  handlers.dispatch({ type: "loaded", sessions, terminals, plugins, history });

  const lastSeq = history.reduce((max, e) => Math.max(max, e.seq), 0);
  const source = new EventSource(journal ? `/events?since=${lastSeq}` : "/events");
  handlers.status("connecting");
  source.onopen = () => handlers.status("live");
  source.onerror = () => handlers.status(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  const onEvent = (message: MessageEvent<string>) => {
    let event: CaoEventJson;
    try {
      event = JSON.parse(message.data) as CaoEventJson;
    } catch {
      return;
    }
    if (typeof event.seq !== "number") event.seq = Number(message.lastEventId);
    handlers.dispatch({ type: "event", event });
    followUp(event, handlers);
  };
  for (const type of FEED_EVENT_TYPES) source.addEventListener(type, onEvent as EventListener);
  return () => source.close();
}

/** Events that name something whose full row the page does not have yet: one read each, never a loop. */
function followUp(event: CaoEventJson, handlers: FeedHandlers): void {
  const type = event.event_type;
  if (type === "terminal_created" && typeof event.terminal_id === "string") {
    api<Terminal>("GET", `/terminals/${enc(event.terminal_id)}`)
      .then((terminal) => handlers.dispatch({ type: "terminal", terminal }))
      .catch(() => undefined); // gone again already: its terminal_killed follows
  } else if (type.startsWith("plugin_")) {
    api<PluginRow[]>("GET", "/plugins")
      .then((plugins) => handlers.dispatch({ type: "plugins", plugins }))
      .catch(() => undefined);
  }
}
