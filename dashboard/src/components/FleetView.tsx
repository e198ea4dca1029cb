import { useEffect, useState } from "preact/hooks";
import { api, ApiError, enc } from "../api.js";
import { clock } from "../time.js";
import type { FleetCloudEvent, FleetHost, FleetHostSessions } from "../../../src/contract/fleet.js";
import { Field } from "./Field.js";

const LOG_LIMIT = 200;
/** Hosts' last_seen moves every few seconds and a dead host drops out after 15 s: the host list is read this often. */
const HOSTS_REFRESH_MS = 5_000;
/** Events after which a host's sessions or statuses changed: the sessions are read again (once, shortly after). */
const SESSION_CHANGES = /^(session_|terminal_)/;

type FleetEventRow = { streamSeq: number; event: FleetCloudEvent };

const ago = (now: number, iso: string) => `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago`;

/**
 * The fleet (docs/fleet.md#the-dashboards-fleet-view), shown only when this server is in one (`GET /fleet` answers):
 * the live hosts from CAO_HOSTS, each host's sessions with their terminals and statuses, one event log across hosts
 * (`GET /fleet/events`), and a launch on a chosen host.
 */
export function FleetView() {
  const [self, setSelf] = useState<string | undefined>();
  const [hosts, setHosts] = useState<FleetHost[]>([]);
  const [sessions, setSessions] = useState<FleetHostSessions[]>([]);
  const [log, setLog] = useState<FleetEventRow[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let stopped = false;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const readHosts = () =>
      api<FleetHost[]>("GET", "/fleet/hosts")
        .then((list) => {
          setHosts(list);
          setNow(Date.now());
          setProblem(undefined);
        })
        .catch((e: Error) => setProblem(e.message));
    const readSessions = () =>
      api<FleetHostSessions[]>("GET", "/fleet/sessions")
        .then(setSessions)
        .catch((e: Error) => setProblem(e.message));
    const soon = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        void readHosts();
        void readSessions();
      }, 300);
    };
    api<{ host: string }>("GET", "/fleet")
      .then((fleet) => {
        if (stopped) return;
        setSelf(fleet.host);
        void readHosts();
        void readSessions();
        timer = setInterval(() => void readHosts(), HOSTS_REFRESH_MS);
        source = new EventSource("/fleet/events");
        source.addEventListener("fleet_event", ((message: MessageEvent<string>) => {
          const event = JSON.parse(message.data) as FleetCloudEvent;
          setLog((rows) => [{ streamSeq: Number(message.lastEventId), event }, ...rows].slice(0, LOG_LIMIT));
          if (SESSION_CHANGES.test(event.data.event_type)) soon();
        }) as EventListener);
      })
      .catch((e: unknown) => {
        // 404: not in a fleet, the view stays hidden. Anything else is worth saying.
        if (!(e instanceof ApiError && e.status === 404)) setProblem((e as Error).message);
      });
    return () => {
      stopped = true;
      source?.close();
      if (timer) clearInterval(timer);
      if (pending) clearTimeout(pending);
    };
  }, []);

  if (self === undefined && problem === undefined) return null;
  return (
    <section class="panel fleet" aria-labelledby="fleet-title" data-testid="fleet">
      <h2 id="fleet-title">
        Fleet <span class="count">{hosts.length} hosts</span>
        {self && <span class="hint">this server is {self}</span>}
      </h2>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="fleet-grid">
        <div class="column">
          <table class="fleet-hosts" data-testid="fleet-hosts">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Version</th>
                <th scope="col">Sessions</th>
                <th scope="col">Last seen</th>
                <th scope="col">Providers</th>
              </tr>
            </thead>
            <tbody>
              {hosts.map((h) => (
                <tr key={h.host} data-host={h.host}>
                  <td class="mono">
                    {h.host}
                    {h.host === self ? " (this)" : ""}
                  </td>
                  <td>{h.version}</td>
                  <td data-testid="host-sessions">{h.sessions}</td>
                  <td>
                    <time dateTime={h.last_seen} title={h.last_seen}>
                      {ago(now, h.last_seen)}
                    </time>
                  </td>
                  <td class="chips">
                    {h.providers.map((p) => (
                      <span class="chip" key={p}>
                        {p}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <FleetSessions sessions={sessions} />
          <FleetLaunch hosts={hosts} self={self} />
        </div>
        <div class="column">
          <h3 class="sub">Events across hosts</h3>
          {log.length === 0 && <p class="empty">No events yet.</p>}
          <ol class="log fleet-log" data-testid="fleet-log">
            {log.map(({ streamSeq, event }) => (
              <li key={event.id} data-id={event.id}>
                <span class="mono seq">{streamSeq}</span>
                <time class="mono" dateTime={event.time}>
                  {clock(event.time)}
                </time>
                <span class="mono host">{event.source.replace(/^cao:\/\//, "")}</span>
                <span class={`type type-${event.data.event_type.split("_")[0]}`}>{event.data.event_type}</span>
                <span class="fields">{event.subject ?? ""}</span>
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}

function FleetSessions(props: { sessions: FleetHostSessions[] }) {
  return (
    <div data-testid="fleet-sessions">
      {props.sessions.map((h) => (
        <article class="session" key={h.host} data-fleet-host={h.host}>
          <div class="session-head">
            <h3>{h.host}</h3>
          </div>
          {h.error && <p class="error">{h.error.detail}</p>}
          {!h.error && h.sessions.length === 0 && <p class="empty">No sessions.</p>}
          {h.sessions.map((s) => (
            <table class="terminals" key={s.session.name} data-fleet-session={s.session.name}>
              <caption class="mono">{s.session.name}</caption>
              <tbody>
                {s.terminals.map((t) => (
                  <tr key={t.id} data-fleet-terminal={t.id}>
                    <td class="mono">{t.id}</td>
                    <td>{t.agent_profile}</td>
                    <td>{t.provider}</td>
                    <td>
                      <span class={`status status-${t.status}`}>{t.status.replace(/_/g, " ")}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        </article>
      ))}
    </div>
  );
}

function FleetLaunch(props: { hosts: FleetHost[]; self: string | undefined }) {
  const [host, setHost] = useState("");
  const [provider, setProvider] = useState("");
  const [profile, setProfile] = useState("developer");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  // The host picked, else the first other host (launching here has its own form), else this one.
  const chosen =
    props.hosts.find((h) => h.host === host) ?? props.hosts.find((h) => h.host !== props.self) ?? props.hosts[0];
  const providers = chosen?.providers ?? [];
  const chosenProvider = providers.includes(provider) ? provider : (providers[0] ?? "");

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      const body: Record<string, string> = { provider: chosenProvider, agent_profile: profile.trim() };
      if (name.trim()) body.session_name = name.trim();
      const terminal = await api<{ id: string; session_name: string }>(
        "POST",
        `/fleet/hosts/${enc(chosen.host)}/sessions`,
        body,
      );
      setOutcome({ ok: true, text: `launched ${terminal.session_name} on ${chosen.host} (terminal ${terminal.id})` });
      setName("");
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} data-testid="fleet-launch" aria-label="Launch a session on a host">
      <Field id="fleet-host" label="Host">
        <select id="fleet-host" name="host" value={chosen?.host ?? ""} onChange={(e) => setHost(e.currentTarget.value)}>
          {props.hosts.map((h) => (
            <option key={h.host} value={h.host}>
              {h.host}
            </option>
          ))}
        </select>
      </Field>
      <Field id="fleet-provider" label="Provider">
        <select
          id="fleet-provider"
          name="provider"
          value={chosenProvider}
          onChange={(e) => setProvider(e.currentTarget.value)}
        >
          {providers.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
      <Field id="fleet-profile" label="Agent profile">
        <input id="fleet-profile" value={profile} onInput={(e) => setProfile(e.currentTarget.value)} required />
      </Field>
      <Field id="fleet-name" label="Session name" hint="optional">
        <input id="fleet-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="generated" />
      </Field>
      <button type="submit" disabled={busy || !chosen || !chosenProvider} aria-label="Launch session on host">
        {busy ? "Launching…" : "Launch on host"}
      </button>
      {outcome && (
        <p class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}
