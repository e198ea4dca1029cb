import type { PluginRow } from "../../contract/api.js";
import type { PluginIsolation } from "../api/plugin.js";
import type { PluginLocation } from "./containment/plugin-scope.js";
import type { PluginQueue } from "./delivery/plugin-queue.js";
import type { PluginSource } from "./discovery/source.js";
import type { PluginInstance } from "./loading/recognise.js";

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
  | { readonly status: "failed"; readonly source: PluginSource; readonly error: string; readonly isolation?: PluginIsolation }
  | ActiveEntry;

/** The registry's plugins by name, in the order they were first known (GET /plugins lists them so). */
export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();

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
    return [...this.entries.values()].map(describe);
  }

  /** Where each plugin's files are, for attributing errors by stack. */
  *locations(): Iterable<PluginLocation> {
    for (const { source } of this.entries.values()) yield { name: source.name, entry: source.entry, path: source.path };
  }
}

export function describe(entry: CatalogEntry): PluginInfo {
  const { source } = entry;
  const info: PluginInfo = {
    name: source.name,
    source: source.source,
    path: source.path,
    status: entry.status,
    isolation: entry.status === "active" ? entry.plugin.isolation : entry.status === "failed" ? (entry.isolation ?? "inline") : "inline",
    // Intercepted points are listed with the hooked events (DESIGN §11): one list of what the plugin takes part in.
    hooks: entry.status === "active" ? [...new Set([...entry.plugin.handlers.map((h) => h.eventType), ...entry.plugin.interceptors.map((i) => i.point)])] : [],
  };
  if (source.version !== undefined) info.version = source.version;
  if (entry.status === "failed") info.error = entry.error;
  return info;
}
