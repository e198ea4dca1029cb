import path from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../../../util/errors.js";
import type { Activation } from "../activation.js";
import type { Catalog } from "../catalog.js";
import { DROP_IN_EXTENSIONS, dropInSource } from "../discovery/dir.js";
import type { PluginSource } from "../discovery/source.js";
import { failed, type Lifecycle } from "../lifecycle.js";
import type { KeyedSerial } from "../../../util/keyed-serial.js";
import { DropInWatcher } from "./drop-in-watcher.js";

/**
 * Hot reload of the drop-in directory (docs/contract.md#plugin-api): a file added is loaded, a changed one is imported and validated
 * while the old version keeps running and only then swapped in, a deleted one is unloaded. Changes of one plugin are
 * applied one after another, in the order they happened; different plugins reload independently.
 */
export class HotReload {
  private watcher: DropInWatcher | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      dir: string;
      debounceMs: number;
      log: Logger;
      catalog: Catalog;
      lifecycle: Lifecycle;
      activation: Activation;
      /** Per-plugin queue shared with the management operations and config.yaml edits. */
      serial: KeyedSerial;
      /** Whether config.yaml lets plugin `name` run (a disabled drop-in is listed, never imported). */
      enabled: (name: string) => boolean;
    },
  ) {}

  /** Starts watching; a directory that cannot be watched is a WARN, and the server runs without hot reload. */
  async start(): Promise<void> {
    const { dir, debounceMs, log } = this.deps;
    const watcher = new DropInWatcher(dir, debounceMs, (name) => this.schedule(name));
    try {
      await watcher.start();
      this.watcher = watcher;
    } catch (error) {
      log.warn({ err: error }, `cannot watch ${dir} for plugin changes: ${errorMessage(error)}`);
    }
  }

  /** Stops watching and waits for the reloads under way. */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
    this.watcher = undefined;
    await this.deps.serial.idle();
  }

  schedule(name: string): void {
    if (this.closed) return;
    void this.deps.serial
      .run(name, () => this.sync(name))
      .catch((error: unknown) =>
        this.deps.log.warn({ plugin: name, err: error }, `reloading plugin "${name}" failed: ${errorMessage(error)}`),
      );
  }

  /** Brings drop-in `name` in line with the disk: load it, swap in its new version, or unload it. */
  private async sync(name: string): Promise<void> {
    if (this.closed) return;
    const { catalog, lifecycle, activation, log } = this.deps;
    const entry = catalog.get(name);
    if (entry && entry.source.source !== "dir") return; // an npm or in-memory plugin owns this name (the clash was warned)
    const source = this.findDropIn(name);
    if (!source) {
      if (entry) {
        await activation.deactivate(name);
        log.info({ plugin: name }, `plugin "${name}" unloaded`);
      }
      return;
    }
    if (!this.deps.enabled(name)) {
      if (entry?.status !== "disabled" || entry.source.path !== source.path)
        catalog.set({ status: "disabled", source });
      return;
    }
    if (entry?.status !== "active") {
      if ((await activation.activate(source)).status === "active")
        log.info({ plugin: name }, `plugin "${name}" loaded`);
      return;
    }
    const next = await lifecycle.prepare(source);
    if (failed(next)) {
      log.warn(
        { plugin: name, path: source.path },
        `plugin "${name}" not reloaded, the running version stays: ${next.failed}`,
      );
      activation.reloadRefused(source, `not reloaded, the running version stays: ${next.failed}`);
      return;
    }
    if (this.closed || catalog.get(name) !== entry) {
      await next.close(); // removed or replaced while the new version was imported: it never runs (a worker ends)
      return;
    }
    if ((await activation.replace(entry, source, next)).status === "active")
      log.info({ plugin: name }, `plugin "${name}" reloaded`);
  }

  private findDropIn(name: string): PluginSource | undefined {
    const { dir } = this.deps;
    const candidates = [path.join(dir, name), ...DROP_IN_EXTENSIONS.map((ext) => path.join(dir, name + ext))].sort();
    for (const candidate of candidates) {
      const source = dropInSource(candidate);
      if (source && source.name === name) return source;
    }
    return undefined;
  }
}
