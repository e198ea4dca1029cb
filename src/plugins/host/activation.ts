import type { Logger } from "pino";
import { waitUntilSettled } from "../../util/deadline.js";
import type { ActiveEntry, Catalog, CatalogEntry } from "./catalog.js";
import type { Deliveries } from "./delivery/deliveries.js";
import type { PluginSource } from "./discovery/source.js";
import { failed, type Lifecycle, type Outcome } from "./lifecycle.js";
import type { PluginIsolation } from "../api/plugin.js";
import type { PluginInstance } from "./loading/recognise.js";
import type { InterceptorTable } from "./intercept/interceptor-table.js";
import type { Router } from "./router.js";

/** What happened to a plugin, as the registry announces it (docs/contract.md#events's plugin_* events). */
export type LifecycleChange =
  | { kind: "loaded" | "reloaded" | "unloaded"; source: PluginSource }
  | { kind: "failed"; source: PluginSource; error: string };

/**
 * Moves plugins in and out of the running set, keeping the catalog, the queues and the router in step: a plugin
 * becomes active (its queue created and routed), is swapped for a new version (its queue held so no event is lost or
 * reordered), or goes away (its queue drained, bounded, then teardown()).
 */
export class Activation {
  constructor(
    private readonly deps: {
      catalog: Catalog;
      lifecycle: Lifecycle;
      router: Router;
      interceptors: InterceptorTable;
      deliveries: Deliveries;
      log: Logger;
      teardownTimeoutMs: number;
      /** Told of every plugin loaded, reloaded, unloaded or failed (the registry turns these into events). */
      onChange?: (change: LifecycleChange) => void;
    },
  ) {}

  /** Starts `source` (import, recognise, setup; bounded) and makes it active, or records why it failed. */
  async activate(source: PluginSource, imported?: Promise<unknown>): Promise<CatalogEntry> {
    const outcome = await this.deps.lifecycle.start(source, imported);
    return this.settle(source, outcome);
  }

  /** Makes a started plugin active, or records the failure (one WARN). */
  settle(source: PluginSource, outcome: Outcome): CatalogEntry {
    const { catalog, router, deliveries } = this.deps;
    if (failed(outcome)) return this.fail(source, outcome.failed, outcome.isolation);
    const queue = deliveries.create(source.name);
    queue.setHandlers(outcome.handlers);
    const entry: ActiveEntry = { status: "active", source, plugin: outcome, queue };
    catalog.set(entry);
    router.rebuild(catalog.active());
    this.deps.interceptors.rebuild(catalog.active());
    this.deps.onChange?.({ kind: "loaded", source });
    return entry;
  }

  /**
   * teardown(old) → setup(new) → swap. Meanwhile the queue holds back (and keeps) every event dispatched, and the new
   * version gets them, in order, exactly once. If the new version's setup fails, the plugin is failed and its queued
   * events are discarded.
   */
  async replace(entry: ActiveEntry, source: PluginSource, next: PluginInstance): Promise<CatalogEntry> {
    const { catalog, router, lifecycle, deliveries } = this.deps;
    const { queue } = entry;
    const name = source.name;
    router.hold(queue);
    await queue.pause();
    await lifecycle.stop(name, entry.plugin);
    const failure = await lifecycle.setup(name, next);
    if (failure) {
      const discarded = queue.clear();
      deliveries.retire(queue);
      const failedEntry = this.fail(
        source,
        `${failure} (after reload; ${discarded} queued events discarded)`,
        next.isolation,
      );
      router.release(queue, catalog.active());
      this.deps.interceptors.rebuild(catalog.active());
      return failedEntry;
    }
    queue.setHandlers(next.handlers);
    const active: ActiveEntry = { status: "active", source, plugin: next, queue };
    catalog.set(active);
    router.release(queue, catalog.active());
    // The new version's interceptors replace the old one's from here on (until now the old instance answered).
    this.deps.interceptors.rebuild(catalog.active());
    queue.resume();
    this.deps.onChange?.({ kind: "reloaded", source });
    return active;
  }

  /** Removes plugin `name`: events it already accepted still reach it (within the teardown bound), then teardown(). */
  async deactivate(name: string): Promise<void> {
    const { catalog, router, lifecycle, deliveries, teardownTimeoutMs } = this.deps;
    const entry = catalog.get(name);
    if (!entry) return;
    catalog.delete(name);
    router.rebuild(catalog.active());
    this.deps.interceptors.rebuild(catalog.active());
    if (entry.status !== "active") return;
    await waitUntilSettled(entry.queue.whenIdle(), teardownTimeoutMs);
    deliveries.retire(entry.queue);
    await lifecycle.stop(name, entry.plugin);
    this.deps.onChange?.({ kind: "unloaded", source: entry.source });
  }

  /**
   * A running plugin is gone for good (a worker plugin that died too often): it is failed, stops receiving events, and
   * the events still queued for it are discarded (counted in the WARN). Ignored if `plugin` is no longer the one
   * running under `name` (it was reloaded or removed meanwhile).
   */
  async retire(name: string, plugin: PluginInstance, reason: string): Promise<void> {
    const { catalog, router, deliveries } = this.deps;
    const entry = catalog.get(name);
    if (entry?.status !== "active" || entry.plugin !== plugin) return;
    catalog.set({ status: "failed", source: entry.source, error: reason, isolation: plugin.isolation });
    router.rebuild(catalog.active());
    this.deps.interceptors.rebuild(catalog.active());
    await entry.queue.pause(); // the dead plugin abandons its call in flight at once
    const discarded = entry.queue.clear();
    deliveries.retire(entry.queue);
    await plugin.close();
    this.deps.log.warn(
      { plugin: name, path: entry.source.path, discarded },
      `plugin "${name}" failed: ${reason}; ${discarded} queued events discarded`,
    );
  }

  /** Records that `source` failed, with one WARN naming it and why. */
  fail(source: PluginSource, reason: string, isolation?: PluginIsolation): CatalogEntry {
    const entry: CatalogEntry = isolation
      ? { status: "failed", source, error: reason, isolation }
      : { status: "failed", source, error: reason };
    this.deps.catalog.set(entry);
    this.deps.log.warn({ plugin: source.name, path: source.path }, `plugin "${source.name}" skipped: ${reason}`);
    this.deps.onChange?.({ kind: "failed", source, error: reason });
    return entry;
  }

  /** A new version that could not be loaded while the running one stays: announced as a failure, nothing changes. */
  reloadRefused(source: PluginSource, reason: string): void {
    this.deps.onChange?.({ kind: "failed", source, error: reason });
  }
}
