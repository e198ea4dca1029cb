import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { Field } from "./Field.js";
import type { ProviderInfo, Terminal } from "../types.js";

const BUILT_IN_PROFILES = ["code_supervisor", "developer", "reviewer"];

/** POST /sessions. The new session shows up through its events, like one launched from the CLI. */
export function LaunchForm() {
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
  const [provider, setProvider] = useState("");
  const [profile, setProfile] = useState("developer");
  const [name, setName] = useState("");
  const [directory, setDirectory] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();

  useEffect(() => {
    api<ProviderInfo[]>("GET", "/agents/providers")
      .then((list) => {
        setProviders(list);
        setProvider((current) => current || (list.find((p) => p.installed) ?? list[0])?.name || "");
      })
      .catch(() => setProviders([]));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setOutcome(undefined);
    try {
      const body: Record<string, string> = { provider, agent_profile: profile.trim() };
      if (name.trim()) body.session_name = name.trim();
      if (directory.trim()) body.working_directory = directory.trim();
      const terminal = await api<Terminal>("POST", "/sessions", body);
      setOutcome({ ok: true, text: `launched ${terminal.session_name} (terminal ${terminal.id})` });
      setName("");
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="launch-title">
      <h2 id="launch-title">Launch a session</h2>
      <form class="form" onSubmit={submit} data-testid="launch-form">
        <Field id="launch-provider" label="Provider">
          <select
            id="launch-provider"
            name="provider"
            value={provider}
            onChange={(e) => setProvider(e.currentTarget.value)}
            required
          >
            {providers.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.installed ? "" : " (not installed)"}
              </option>
            ))}
          </select>
        </Field>
        <Field id="launch-profile" label="Agent profile">
          <input
            id="launch-profile"
            name="agent_profile"
            list="profiles"
            value={profile}
            onInput={(e) => setProfile(e.currentTarget.value)}
            required
          />
          <datalist id="profiles">
            {BUILT_IN_PROFILES.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </Field>
        <Field id="launch-name" label="Session name" hint="optional">
          <input
            id="launch-name"
            name="session_name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="generated"
          />
        </Field>
        <Field id="launch-directory" label="Working directory" hint="optional">
          <input
            id="launch-directory"
            name="working_directory"
            value={directory}
            onInput={(e) => setDirectory(e.currentTarget.value)}
            placeholder="the server's"
          />
        </Field>
        <button type="submit" disabled={busy || !provider} aria-label="Launch session">
          {busy ? "Launching…" : "Launch"}
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
