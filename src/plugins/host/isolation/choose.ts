import type { PluginIsolation } from "../../api/plugin.js";
import type { PluginSettings } from "../options.js";

export type IsolationChoice = { ok: true; isolation: PluginIsolation } | { ok: false; reason: string };

/** The registry's `plugins.<name>.isolation` setting, if any (an own property only: a plugin may be named "constructor"). */
export function isolationSetting(plugins: Readonly<Record<string, PluginSettings>>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(plugins, name) ? plugins[name]?.isolation : undefined;
}

/** Where a plugin runs: the registry's setting wins over what the plugin declares; inline when neither says. */
export function chooseIsolation(setting: unknown, declared: unknown): IsolationChoice {
  if (setting !== undefined) return check(setting, "the registry's setting plugins.<name>.isolation");
  if (declared !== undefined) return check(declared, "its declared isolation");
  return { ok: true, isolation: "inline" };
}

function check(value: unknown, what: string): IsolationChoice {
  if (value === "inline" || value === "worker") return { ok: true, isolation: value };
  return { ok: false, reason: `${what} must be "inline" or "worker", got ${JSON.stringify(value) ?? String(value)}` };
}
