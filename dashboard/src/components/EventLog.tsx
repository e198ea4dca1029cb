import { clock } from "../time.js";
import type { CaoEventJson } from "../types.js";

const BASE = new Set(["seq", "event_type", "timestamp", "session_id"]);

/** The fields that make an event worth reading at a glance (everything but the common ones), shortened. */
function summary(event: CaoEventJson): string {
  return Object.entries(event)
    .filter(([key]) => !BASE.has(key))
    .map(([key, value]) => {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return `${key}=${text.length > 60 ? `${text.slice(0, 57)}…` : text}`;
    })
    .join("  ");
}

export function EventLog(props: { log: CaoEventJson[] }) {
  return (
    <section class="panel" aria-labelledby="log-title">
      <h2 id="log-title">
        Event log <span class="count">{props.log.length}</span>
      </h2>
      {props.log.length === 0 && <p class="empty">No events yet.</p>}
      <ol class="log" data-testid="event-log" aria-live="off">
        {props.log.map((event) => (
          <li key={event.seq} data-seq={event.seq}>
            <span class="mono seq">#{event.seq}</span>
            <time class="mono" dateTime={event.timestamp}>
              {clock(event.timestamp)}
            </time>
            <span class={`type type-${event.event_type.split("_")[0]}`}>{event.event_type}</span>
            <span class="fields">{summary(event)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
