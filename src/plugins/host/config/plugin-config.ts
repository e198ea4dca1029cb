import { isDeepStrictEqual } from "node:util";
import type { PluginSettings } from "../options.js";
import { readConfigFile, type PluginSections } from "./config-file.js";
import { writeEnabled } from "./config-writer.js";

/**
 * The plugin settings in force: the embedder's `plugins` option overlaid, section by section, by config.yaml
 * (docs/contract.md#configyaml). `live` is the very record the rest of the host reads (`options.plugins`), updated in place, so the
 * lifecycle and the isolation choice always see the current sections. Values are kept as written: `${VAR}`s are
 * replaced when a plugin starts, so GET /plugins/:name can show what the file says.
 */
export class PluginConfig {
  private readonly base: Record<string, PluginSettings>;
  private sections: PluginSections = {};

  constructor(
    readonly file: string,
    private readonly live: Record<string, PluginSettings>,
  ) {
    this.base = { ...live };
  }

  /** Reads the file; on success the settings follow it and the names whose section changed are returned. */
  reread(): { ok: true; changed: string[] } | { ok: false; error: string } {
    const read = readConfigFile(this.file);
    if (!read.ok) return read;
    const changed: string[] = [];
    for (const name of new Set([...Object.keys(this.sections), ...Object.keys(read.plugins)])) {
      if (!isDeepStrictEqual(this.sections[name], read.plugins[name])) changed.push(name);
    }
    this.sections = read.plugins;
    for (const name of changed) this.refresh(name);
    return { ok: true, changed };
  }

  settings(name: string): PluginSettings {
    return this.live[name] ?? {};
  }

  enabled(name: string): boolean {
    return this.live[name]?.enabled !== false;
  }

  /** Persists `enabled:` (throws ConfigWriteError, changing nothing, when the file cannot take it), then applies it. */
  setEnabled(name: string, enabled: boolean): void {
    writeEnabled(this.file, name, enabled);
    // Only this key is taken over: other edits of the file not yet seen are applied by the watcher, as edits.
    this.sections[name] = { ...this.sections[name], enabled };
    this.refresh(name);
  }

  private refresh(name: string): void {
    const settings = this.sections[name] ?? this.base[name];
    if (settings === undefined) delete this.live[name];
    else this.live[name] = settings;
  }
}
