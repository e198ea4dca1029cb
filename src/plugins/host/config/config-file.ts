import fs from "node:fs";
import { isMap, parseDocument } from "yaml";
import type { PluginSettings } from "../options.js";

/** What config.yaml says about plugins: each section as written (no `${VAR}` replaced yet). */
export type PluginSections = Record<string, PluginSettings>;

export type ConfigRead = { ok: true; plugins: PluginSections; exists: boolean } | { ok: false; error: string };

const SECTION_KEYS = new Set(["enabled", "isolation", "config"]);

/**
 * Reads and checks `$CAO_HOME/config.yaml` (docs/contract.md#configyaml). A missing file is an empty configuration; a file that does
 * not parse, or has the wrong shape, is an error saying where (the caller keeps what it has and WARNs).
 * Keys other than `plugins` are left alone (they belong to whoever added them).
 */
export function readConfigFile(file: string): ConfigRead {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, plugins: {}, exists: false };
    return { ok: false, error: `cannot read ${file}: ${(error as Error).message}` };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, error: `${file}: ${parsed.error}` };
  return { ...parsed, exists: true };
}

export function parseConfigText(text: string): { ok: true; plugins: PluginSections } | { ok: false; error: string } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) return { ok: false, error: `not valid YAML: ${doc.errors[0]!.message}` };
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return { ok: true, plugins: {} };
  if (!isPlainObject(root)) return { ok: false, error: "the top level must be a mapping (with a `plugins:` key)" };
  const plugins = root.plugins;
  if (plugins === null || plugins === undefined) return { ok: true, plugins: {} };
  if (!isPlainObject(plugins))
    return { ok: false, error: "`plugins` must be a mapping of plugin name → { enabled, isolation, config }" };
  const out: PluginSections = {};
  for (const [name, section] of Object.entries(plugins)) {
    const checked = checkSection(name, section);
    if (typeof checked === "string") return { ok: false, error: checked };
    out[name] = checked;
  }
  return { ok: true, plugins: out };
}

function checkSection(name: string, section: unknown): PluginSettings | string {
  const at = `plugins.${name}`;
  if (section === null || section === undefined) return {};
  if (!isPlainObject(section)) return `${at} must be a mapping with enabled, isolation and/or config`;
  for (const key of Object.keys(section)) {
    // A misspelt key (`enable: false`) would otherwise be ignored and the plugin would keep running.
    if (!SECTION_KEYS.has(key)) return `${at}.${key} is not a setting (known: enabled, isolation, config)`;
  }
  const settings: PluginSettings = {};
  if (section.enabled !== undefined) {
    if (typeof section.enabled !== "boolean")
      return `${at}.enabled must be true or false, got ${JSON.stringify(section.enabled)}`;
    settings.enabled = section.enabled;
  }
  if (section.isolation !== undefined) {
    if (section.isolation !== "inline" && section.isolation !== "worker")
      return `${at}.isolation must be "inline" or "worker", got ${JSON.stringify(section.isolation)}`;
    settings.isolation = section.isolation;
  }
  if ("config" in section) settings.config = section.config;
  return settings;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
