import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { ConflictError, NotFoundError } from "../../util/errors.js";
import type { Activation } from "./activation.js";
import type { Catalog, CatalogEntry, PluginInfo } from "./catalog.js";
import { ConfigWriteError } from "./config/config-writer.js";
import type { PluginConfig } from "./config/plugin-config.js";
import type { QueueStats } from "./delivery/plugin-queue.js";
import { dropInSource } from "./discovery/dir.js";
import { discoverPlugins } from "./discovery/discover.js";
import { discoverNpmPlugins } from "./discovery/npm.js";
import type { PluginSource } from "./discovery/source.js";
import { failed, type Lifecycle } from "./lifecycle.js";
import type { PluginModuleLoader } from "./loading/module-loader.js";
import type { ResolvedOptions } from "./options.js";
import type { KeyedSerial } from "../../util/keyed-serial.js";
import type { PluginDetails } from "../../contract/api.js";

/** GET /plugins/:name: the list row (isolation included) plus the section of config.yaml as written and the queue's counters. */
export type { PluginDetails };

/**
 * The management operations of docs/contract.md#configyaml (info, reload, enable, disable, rescan) and applying config.yaml edits.
 * Every change of one plugin runs in that plugin's queue (KeyedSerial), shared with hot reload, so a REST call, a
 * config edit and a file change never interleave on one plugin.
 */
export class Management {
  constructor(
    private readonly deps: {
      options: ResolvedOptions;
      catalog: Catalog;
      lifecycle: Lifecycle;
      activation: Activation;
      loader: PluginModuleLoader;
      config: PluginConfig;
      serial: KeyedSerial;
      log: Logger;
      memoryNames: () => Map<string, PluginSource>;
    },
  ) {}

  info(name: string): PluginDetails {
    const entry = this.known(name);
    return {
      ...this.deps.catalog.describe(entry),
      config: this.deps.config.settings(name).config ?? null,
      stats: entry.status === "active" ? entry.queue.snapshot() : null,
    };
  }

  /**
   * Re-imports plugin `name` from disk (an npm package afresh too) and swaps it in; a plugin that failed is loaded
   * again. If the new version cannot be imported or configured, the running one stays and this throws a
   * ConflictError saying why (409).
   */
  reload(name: string): Promise<PluginInfo> {
    this.known(name);
    return this.deps.serial.run(name, async () => {
      const entry = this.known(name);
      if (entry.source.source === "memory")
        throw new ConflictError(`plugin "${name}" was added in memory: there is no file to import again`);
      if (entry.status === "disabled")
        throw new ConflictError(`plugin "${name}" is disabled: enable it (which loads it) instead`);
      const source = this.fresh(entry.source);
      if (!source)
        throw new ConflictError(
          `plugin "${name}" is no longer at ${entry.source.path}; POST /plugins/rescan unloads it`,
        );
      this.deps.loader.renew(source);
      const row = this.deps.catalog.describe(await this.restart(entry, source, "keep"));
      if (row.status === "failed") throw new ConflictError(`plugin "${name}" did not reload: ${row.error}`);
      this.deps.log.info({ plugin: name }, `plugin "${name}" reloaded`);
      return row;
    });
  }

  /** Persists `enabled: true`; a disabled or failed plugin is loaded, and a load that fails is a ConflictError (409). */
  enable(name: string): Promise<PluginInfo> {
    this.known(name);
    return this.deps.serial.run(name, async () => {
      const entry = this.known(name);
      if (this.deps.options.disabled)
        throw new ConflictError(`plugins are disabled by CAO_DISABLE_PLUGINS=1 (safe mode): nothing is loaded`);
      this.persist(name, true);
      if (entry.status === "active") return this.deps.catalog.describe(entry);
      if (entry.source.source === "memory")
        throw new ConflictError(`plugin "${name}" was added in memory: there is nothing to load again`);
      const source = this.fresh(entry.source) ?? entry.source;
      if (entry.status === "failed") this.deps.loader.renew(source);
      const row = this.deps.catalog.describe(await this.deps.activation.activate(source));
      if (row.status === "failed")
        throw new ConflictError(`plugin "${name}" is enabled but did not load: ${row.error}`);
      this.deps.log.info({ plugin: name }, `plugin "${name}" enabled`);
      return row;
    });
  }

  /** Persists `enabled: false`; an active plugin gets its queued events (bounded), then teardown(), and is listed "disabled". */
  disable(name: string): Promise<PluginInfo> {
    this.known(name);
    return this.deps.serial.run(name, async () => {
      this.known(name);
      this.persist(name, false);
      const row = this.deps.catalog.describe(await this.stopAsDisabled(name));
      this.deps.log.info({ plugin: name }, `plugin "${name}" disabled`);
      return row;
    });
  }

  /**
   * Discovers again (docs/contract.md#plugin-api): new npm packages and drop-ins are loaded (or listed disabled), those gone are
   * unloaded, a package whose version or entry changed is reloaded. Plugins added in memory are left alone.
   */
  async rescan(): Promise<PluginInfo[]> {
    const { catalog, options, log } = this.deps;
    const found = discoverPlugins(options, this.deps.memoryNames());
    for (const problem of found.problems)
      log.warn({ path: problem.path }, `plugin discovery skipped ${problem.path}: ${problem.reason}`);
    const byName = new Map(found.sources.map((source) => [source.name, source]));
    const jobs: Promise<unknown>[] = [];
    for (const entry of [...catalog.all()]) {
      if (entry.source.source === "memory" || byName.has(entry.source.name)) continue;
      const name = entry.source.name;
      jobs.push(
        this.deps.serial.run(name, async () => {
          const current = catalog.get(name);
          if (!current || current.source.source === "memory") return;
          await this.deps.activation.deactivate(name);
          log.info({ plugin: name }, `plugin "${name}" unloaded: no longer found`);
        }),
      );
    }
    for (const source of found.sources) {
      jobs.push(this.deps.serial.run(source.name, () => this.arrive(source)));
    }
    await Promise.all(jobs);
    return catalog.rows();
  }

  /** config.yaml changed the sections of `names`: each of those plugins is brought in line, in its own queue. */
  applySections(names: readonly string[]): Promise<unknown> {
    return Promise.all(names.map((name) => this.deps.serial.run(name, () => this.applySection(name))));
  }

  private async applySection(name: string): Promise<void> {
    const { catalog, config, log, options } = this.deps;
    const entry = catalog.get(name);
    if (!entry || options.disabled) return; // a section for a plugin not (yet) found is kept for when it comes
    if (!config.enabled(name)) {
      if (entry.status !== "disabled") {
        await this.stopAsDisabled(name);
        log.info({ plugin: name }, `plugin "${name}" disabled by ${config.file}`);
      }
      return;
    }
    if (entry.source.source === "memory") {
      log.warn(
        { plugin: name },
        `plugin "${name}" was added in memory: its new config.yaml section applies once it is added again`,
      );
      return;
    }
    // A config edit re-instantiates from the module already imported (no new copy of an npm package); drop-ins are
    // re-read by jiti anyway. An invalid new config fails the plugin: the file is what the user asked for.
    const row = this.deps.catalog.describe(
      await this.restart(
        entry,
        entry.status === "active" ? entry.source : (this.fresh(entry.source) ?? entry.source),
        "fail",
      ),
    );
    if (row.status === "active")
      log.info({ plugin: name }, `plugin "${name}" restarted with its new config.yaml section`);
  }

  /**
   * Brings `entry` to a new instance of `source`: loads it if it is not active; otherwise imports and configures the
   * new one first and swaps (teardown old → setup new). When the new one cannot even be prepared, `onFailure` says
   * whether the running one stays ("keep", a code reload) or is stopped and marked failed ("fail", a config edit).
   */
  private async restart(entry: CatalogEntry, source: PluginSource, onFailure: "keep" | "fail"): Promise<CatalogEntry> {
    const { catalog, lifecycle, activation } = this.deps;
    if (entry.status !== "active") return activation.activate(source);
    const next = await lifecycle.prepare(source);
    if (catalog.get(source.name) !== entry) return catalog.get(source.name) ?? entry;
    if (failed(next)) {
      if (onFailure === "keep")
        return { status: "failed", source, error: `${next.failed} (the running version stays)` };
      await activation.deactivate(source.name);
      return activation.fail(source, next.failed);
    }
    return activation.replace(entry, source, next);
  }

  /** A source found by discovery: new → load (or list disabled); changed (npm version or entry) → reload. */
  private async arrive(source: PluginSource): Promise<void> {
    const { catalog, config, activation, log, options } = this.deps;
    const entry = catalog.get(source.name);
    if (!entry) {
      if (options.disabled || !config.enabled(source.name)) {
        catalog.set({ status: "disabled", source });
        return;
      }
      if ((await activation.activate(source)).status === "active")
        log.info({ plugin: source.name }, `plugin "${source.name}" loaded`);
      return;
    }
    if (entry.source.source !== source.source) return;
    const changed =
      entry.source.entry !== source.entry ||
      entry.source.version !== source.version ||
      entry.source.path !== source.path;
    if (!changed || entry.status === "disabled") {
      if (changed) catalog.set({ status: "disabled", source });
      return;
    }
    this.deps.loader.renew(source);
    const after = await this.restart(entry, source, "keep");
    if (after.status === "active")
      log.info(
        { plugin: source.name, version: source.version },
        `plugin "${source.name}" reloaded: ${source.path} changed`,
      );
    else if (after !== catalog.get(source.name))
      log.warn(
        { plugin: source.name },
        `plugin "${source.name}" changed on disk but did not reload: ${after.status === "failed" ? after.error : ""}`,
      );
  }

  private async stopAsDisabled(name: string): Promise<CatalogEntry> {
    const { catalog, activation } = this.deps;
    const entry = this.known(name);
    if (entry.status === "disabled") return entry;
    if (entry.source.source === "memory")
      throw new ConflictError(`plugin "${name}" was added in memory: remove it instead`);
    await activation.deactivate(name);
    const disabled: CatalogEntry = { status: "disabled", source: entry.source };
    catalog.set(disabled);
    return disabled;
  }

  private persist(name: string, enabled: boolean): void {
    try {
      this.deps.config.setEnabled(name, enabled);
    } catch (error) {
      if (error instanceof ConfigWriteError) throw new ConflictError(error.message);
      throw error;
    }
  }

  private known(name: string): CatalogEntry {
    const entry = this.deps.catalog.get(name);
    if (!entry) throw new NotFoundError(`no plugin named "${name}"`);
    return entry;
  }

  /** Where `source` is now: a drop-in's file again, an npm package's package.json read again (its entry may have changed). */
  private fresh(source: PluginSource): PluginSource | undefined {
    if (source.source === "dir") return dropInSource(source.path);
    if (source.source === "npm") {
      if (!fs.existsSync(source.path)) return undefined;
      let parent = path.dirname(source.path);
      if (path.basename(parent).startsWith("@")) parent = path.dirname(parent); // a scoped package: node_modules/@scope/name
      return discoverNpmPlugins([parent]).sources.find(
        (found) => found.name === source.name && found.path === source.path,
      );
    }
    return source;
  }
}
