import { useState } from "preact/hooks";
import { api, enc } from "../api.js";
import type { Terminal } from "../types.js";
import { Field } from "./Field.js";

const DIRECT = "";

/**
 * From another terminal: POST /terminals/:to/inbox/messages, as an agent's send_message does (queued, delivered when
 * the receiver is idle, drawn in the flow). From "you": POST /terminals/:to/input, typed at once (no sender, so no arrow).
 */
export function SendForm(props: { terminals: Terminal[]; target: string; onTarget(id: string): void }) {
  const [sender, setSender] = useState(DIRECT);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  const label = (t: Terminal) => `${t.id} · ${t.agent_profile} (${t.session_name})`;
  const target = props.terminals.some((t) => t.id === props.target) ? props.target : "";

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!target) return setOutcome({ ok: false, text: "choose a terminal to send to" });
    setBusy(true);
    setOutcome(undefined);
    try {
      if (sender === DIRECT) {
        await api("POST", `/terminals/${enc(target)}/input`, { message: text });
        setOutcome({ ok: true, text: `typed into ${target}` });
      } else {
        const answer = await api<{ message_id: number }>("POST", `/terminals/${enc(target)}/inbox/messages`, {
          sender_id: sender,
          message: text,
        });
        setOutcome({ ok: true, text: `queued as inbox message ${answer.message_id}` });
      }
      setText("");
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="send-title">
      <h2 id="send-title">Send a message</h2>
      <form class="form" onSubmit={submit} data-testid="send-form">
        <Field id="send-to" label="To">
          <select
            id="send-to"
            name="receiver"
            value={target}
            onChange={(e) => props.onTarget(e.currentTarget.value)}
            required
          >
            <option value="">choose a terminal</option>
            {props.terminals.map((t) => (
              <option key={t.id} value={t.id}>
                {label(t)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="send-from" label="From">
          <select id="send-from" name="sender" value={sender} onChange={(e) => setSender(e.currentTarget.value)}>
            <option value={DIRECT}>you (typed directly)</option>
            {props.terminals
              .filter((t) => t.id !== target)
              .map((t) => (
                <option key={t.id} value={t.id}>
                  {label(t)} (via its inbox)
                </option>
              ))}
          </select>
        </Field>
        <Field id="send-message" label="Message" wide>
          <textarea
            id="send-message"
            name="message"
            rows={3}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            required
          />
        </Field>
        <button type="submit" disabled={busy || !text.trim()} aria-label="Send message">
          {busy ? "Sending…" : "Send"}
        </button>
        {outcome && (
          <p class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"}>
            {outcome.text}
          </p>
        )}
      </form>
    </section>
  );
}
