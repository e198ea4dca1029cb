import { useState } from "preact/hooks";
import { api, enc } from "../api.js";
import type { SessionSummary, Terminal } from "../types.js";

export function SessionsPanel(props: {
  sessions: SessionSummary[];
  terminals: Terminal[];
  /** The terminal whose agent timeline is shown. */
  watched: string;
  onMessage(terminalId: string): void;
  onWatch(terminalId: string): void;
  /** The terminal whose screen is shown. */
  viewed: string;
  onView(terminalId: string): void;
}) {
  const [error, setError] = useState<string | undefined>();
  const sessions = [...props.sessions].sort((a, b) => a.name.localeCompare(b.name));
  const end = async (name: string) => {
    setError(undefined);
    try {
      await api("DELETE", `/sessions/${enc(name)}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="panel" aria-labelledby="sessions-title" data-testid="sessions">
      <h2 id="sessions-title">
        Sessions <span class="count">{sessions.length}</span>
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {sessions.length === 0 && <p class="empty">No sessions. Launch one below.</p>}
      {sessions.map((session) => {
        const terminals = props.terminals
          .filter((t) => t.session_name === session.name)
          .sort((a, b) => a.id.localeCompare(b.id));
        return (
          <article class="session" key={session.name} data-session={session.name}>
            <div class="session-head">
              <h3>{session.name}</h3>
              <button
                type="button"
                class="quiet"
                aria-label={`End session ${session.name}`}
                onClick={() => end(session.name)}
              >
                End
              </button>
            </div>
            <table class="terminals">
              <thead>
                <tr>
                  <th scope="col">Terminal</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {terminals.map((t) => (
                  <tr
                    key={t.id}
                    data-terminal={t.id}
                    class={t.status === "waiting_user_answer" ? "row-waiting" : undefined}
                  >
                    <td class="mono">
                      <button
                        type="button"
                        class="link mono"
                        aria-label={`Show the agent timeline of terminal ${t.id}`}
                        aria-pressed={props.watched === t.id}
                        onClick={() => props.onWatch(t.id)}
                      >
                        {t.id}
                      </button>
                    </td>
                    <td>{t.agent_profile}</td>
                    <td>{t.provider}</td>
                    <td>
                      <span class={`status status-${t.status}`} data-testid="terminal-status">
                        {t.status.replace(/_/g, " ")}
                      </span>
                    </td>
                    <td class="actions">
                      <button
                        type="button"
                        class="quiet"
                        aria-label={`View the screen of terminal ${t.id}`}
                        aria-pressed={props.viewed === t.id}
                        onClick={() => props.onView(t.id)}
                      >
                        View
                      </button>{" "}
                      <button
                        type="button"
                        class="quiet"
                        aria-label={`Send a message to terminal ${t.id}`}
                        onClick={() => props.onMessage(t.id)}
                      >
                        Message
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        );
      })}
    </section>
  );
}
