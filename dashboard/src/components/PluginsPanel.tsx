import { useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.js";
import type { PluginRow } from "../types.js";

type Verb = "reload" | "enable" | "disable";

/** docs/contract.md#configyaml: each button POSTs /plugins/:name/<verb>, whose answer is the new row. */
export function PluginsPanel(props: { plugins: PluginRow[]; onRow(row: PluginRow): void }) {
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const act = async (name: string, verb: Verb) => {
    setBusy(name);
    setError(undefined);
    try {
      props.onRow(await api<PluginRow>("POST", `/plugins/${enc(name)}/${verb}`));
    } catch (e) {
      setError(`${verb} ${name}: ${(e as Error).message}`);
      // 409: the load failed and the row now says why; show that row, not the stale one.
      if (e instanceof ApiError && e.status === 409)
        api<PluginRow>("GET", `/plugins/${enc(name)}`).then(props.onRow, () => undefined);
    } finally {
      setBusy(undefined);
    }
  };
  const plugins = [...props.plugins].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section class="panel" aria-labelledby="plugins-title" data-testid="plugins">
      <h2 id="plugins-title">
        Plugins <span class="count">{plugins.length}</span>
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {plugins.length === 0 && <p class="empty">No plugins loaded.</p>}
      {plugins.length > 0 && (
        <table class="plugins">
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">Status</th>
              <th scope="col">Hooks</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {plugins.map((p) => (
              <tr key={p.name} data-plugin={p.name}>
                <td>
                  <div class="plugin-name">{p.name}</div>
                  <div class="hint">
                    {p.source}
                    {p.version ? ` ${p.version}` : ""}
                  </div>
                </td>
                <td>
                  <span class={`status plugin-${p.status}`} data-testid="plugin-status">
                    {p.status}
                  </span>
                  {p.error && <div class="plugin-error">{p.error}</div>}
                </td>
                <td>
                  <div class="chips">
                    {p.hooks.map((h) => (
                      <span class="chip" key={h}>
                        {h}
                      </span>
                    ))}
                  </div>
                </td>
                <td class="actions">
                  <button
                    type="button"
                    class="quiet"
                    disabled={busy === p.name}
                    aria-label={`Reload plugin ${p.name}`}
                    onClick={() => act(p.name, "reload")}
                  >
                    Reload
                  </button>
                  {p.status === "disabled" ? (
                    <button
                      type="button"
                      class="quiet"
                      disabled={busy === p.name}
                      aria-label={`Enable plugin ${p.name}`}
                      onClick={() => act(p.name, "enable")}
                    >
                      Enable
                    </button>
                  ) : (
                    <button
                      type="button"
                      class="quiet"
                      disabled={busy === p.name}
                      aria-label={`Disable plugin ${p.name}`}
                      onClick={() => act(p.name, "disable")}
                    >
                      Disable
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
