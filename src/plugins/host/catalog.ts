import type { PluginRow } from "../../contract/api.js";
import type { PluginIsolation } from "../api/plugin.js";
import type { PluginLocation } from "./containment/plugin-scope.js";
import type { PluginQueue } from "./delivery/plugin-queue.js";
import type { PluginSource } from "./discovery/source.js";
import { chooseIsolation, isolationSetting } from "./isolation/choose.js";
import type { PluginInstance } from "./loading/recognise.js";
import type { PluginSettings } from "./options.js";

export type { PluginStatus } from "../../contract/vocabulary.js";

/** One row of `list()` and of `GET /plugins`: the contract's PluginRow. */
export type PluginInfo = PluginRow;

/** A plugin that runs: it has an instance and the queue that feeds it. */
export interface ActiveEntry {
  readonly status: "active";
  readonly source: PluginSource;
  readonly plugin: PluginInstance;
  readonly queue: PluginQueue;
}

/** A plugin the registry knows, in exactly one state; entries are values, replaced whole on every change. */
export type CatalogEntry =
  | { readonly status: "disabled"; readonly source: PluginSource }
  | {
      readonly status: "failed";
      readonly source: PluginSource;
      readonly error: string;
      readonly isolation?: PluginIsolation;
    }
  | ActiveEntry;

/** The registry's plugins by name, in the order they were first known (GET /plugins lists them so). */
export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();

  /** `settings` is the live record of the settings in force (options.plugins), read when a row is described. */
  constructor(private readonly settings: Readonly<Record<string, PluginSettings>>) {}

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  /** Adds or replaces the entry of its name (a replaced entry keeps its place in the order). */
  set(entry: CatalogEntry): void {
    this.entries.set(entry.source.name, entry);
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  all(): IterableIterator<CatalogEntry> {
    return this.entries.values();
  }

  active(): ActiveEntry[] {
    const out: ActiveEntry[] = [];
    for (const entry of this.entries.values()) if (entry.status === "active") out.push(entry);
    return out;
  }

  rows(): PluginInfo[] {
    return [...this.entries.values()].map((entry) => this.describe(entry));
  }

  /** The row of `entry`: what GET /plugins lists and GET /plugins/:name extends. */
  describe(entry: CatalogEntry): PluginInfo {
    const { source } = entry;
    const info: PluginInfo = {
      name: source.name,
      source: source.source,
      path: source.path,
      status: entry.status,
      isolation: this.isolationOf(entry),
      // Intercepted points are listed with the hooked events (docs/contract.md#interception-points): one list of what the plugin takes part in.
      hooks:
        entry.status === "active"
          ? [
              ...new Set([
                ...entry.plugin.handlers.map((h) => h.eventType),
                ...entry.plugin.interceptors.map((i) => i.point),
              ]),
            ]
          : [],
    };
    if (source.version !== undefined) info.version = source.version;
    if (entry.status === "failed") info.error = entry.error;
    return info;
  }

  /**
   * Where a plugin runs, the one answer for the list and the details: a running plugin where it runs; one that failed
   * where it was tried, when it got that far. Otherwise (disabled, or failed before the choice) its module was never
   * read, so only the registry's setting can say; inline without one.
   */
  private isolationOf(entry: CatalogEntry): PluginIsolation {
    if (entry.status === "active") return entry.plugin.isolation;
    if (entry.status === "failed" && entry.isolation !== undefined) return entry.isolation;
    const chosen = chooseIsolation(isolationSetting(this.settings, entry.source.name), undefined);
    return chosen.ok ? chosen.isolation : "inline";
  }

  /** Where each plugin's files are, for attributing errors by stack. */
  *locations(): Iterable<PluginLocation> {
    for (const { source } of this.entries.values()) yield { name: source.name, entry: source.entry, path: source.path };
  }
}
