import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.js";
import type { Terminal } from "../types.js";

/** The keys that answer agents' prompts and menus, as `POST /terminals/:id/key` names them. */
const PROMPT_KEYS: { key: string; label: string }[] = [
  { key: "Enter", label: "Enter" },
  { key: "Escape", label: "Esc" },
  { key: "Up", label: "↑" },
  { key: "Down", label: "↓" },
  { key: "y", label: "y" },
  { key: "n", label: "n" },
  { key: "1", label: "1" },
  { key: "2", label: "2" },
  { key: "3", label: "3" },
];

type ScreenState = { text: string; live: boolean; gone?: string };

/** Follows `GET /terminals/:id/screen`: the pane's text whenever it changes. EventSource reconnects by itself. */
function useScreen(terminalId: string | undefined): ScreenState {
  const [screen, setScreen] = useState<ScreenState>({ text: "", live: false });
  useEffect(() => {
    setScreen({ text: "", live: false });
    if (!terminalId) return;
    const source = new EventSource(`/terminals/${enc(terminalId)}/screen`);
    source.onopen = () => setScreen((s) => ({ ...s, live: true }));
    source.onerror = () => setScreen((s) => ({ ...s, live: false }));
    source.addEventListener("screen", ((message: MessageEvent<string>) => {
      const { screen: text } = JSON.parse(message.data) as { screen: string };
      setScreen({ text, live: true });
    }) as EventListener);
    source.addEventListener("gone", ((message: MessageEvent<string>) => {
      source.close();
      setScreen((s) => ({ ...s, live: false, gone: (JSON.parse(message.data) as { detail: string }).detail }));
    }) as EventListener);
    return () => source.close();
  }, [terminalId]);
  return screen;
}

/**
 * One terminal's pane, live and read-only, with a line to type into it and the keys that answer prompts. A terminal
 * waiting for the user's answer is marked, so its prompt (on the screen shown) can be answered from here.
 */
export function TerminalView(props: { terminal: Terminal | undefined }) {
  const terminal = props.terminal;
  const screen = useScreen(terminal?.id);
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  const waiting = terminal?.status === "waiting_user_answer";

  const act = async (what: string, run: () => Promise<unknown>) => {
    setOutcome(undefined);
    try {
      await run();
      setOutcome({ ok: true, text: what });
      return true;
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
      return false;
    }
  };
  const type = async (event: Event) => {
    event.preventDefault();
    if (!terminal || !text.trim()) return;
    if (
      await act(`typed into ${terminal.id}`, () =>
        api("POST", `/terminals/${enc(terminal.id)}/input`, { message: text }),
      )
    )
      setText("");
  };
  const press = (key: string) =>
    terminal &&
    act(`pressed ${key} in ${terminal.id}`, () => api("POST", `/terminals/${enc(terminal.id)}/key`, { key }));

  return (
    <section
      class={waiting ? "panel terminal-view waiting" : "panel terminal-view"}
      aria-labelledby="terminal-view-title"
      data-testid="terminal-view"
    >
      <h2 id="terminal-view-title">
        Terminal {terminal && <span class="mono">{terminal.id}</span>}
        {terminal && <span class={`status status-${terminal.status}`}>{terminal.status.replace(/_/g, " ")}</span>}
        {terminal && (
          <span class={screen.live ? "feed feed-live" : "feed"} data-testid="screen-status">
            {screen.gone ? "gone" : screen.live ? "live" : "connecting"}
          </span>
        )}
      </h2>
      {!terminal && <p class="empty">Choose a terminal's View to watch its screen.</p>}
      {waiting && (
        <p class="waiting-banner" role="alert" data-testid="waiting-banner">
          {terminal.agent_profile} ({terminal.id}) is waiting for your answer: read the prompt below and answer it.
        </p>
      )}
      {terminal && (
        <>
          <pre class="screen" data-testid="terminal-screen" aria-label={`Screen of terminal ${terminal.id}`}>
            {screen.gone ?? screen.text.replace(/\s+$/, "")}
          </pre>
          <div class="keys" role="group" aria-label="Keys">
            {PROMPT_KEYS.map(({ key, label }) => (
              <button
                type="button"
                class="quiet key"
                key={key}
                aria-label={`Press ${key}`}
                onClick={() => void press(key)}
              >
                {label}
              </button>
            ))}
          </div>
          <form class="type-line" onSubmit={type} data-testid="type-form">
            <label for="type-text" class="sr-only">
              Type into terminal {terminal.id}
            </label>
            <input
              id="type-text"
              name="message"
              value={text}
              placeholder="type a message, Enter sends it"
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <button type="submit" disabled={!text.trim()} aria-label="Type into the terminal">
              Type
            </button>
          </form>
          {outcome && (
            <p class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"}>
              {outcome.text}
            </p>
          )}
        </>
      )}
    </section>
  );
}
