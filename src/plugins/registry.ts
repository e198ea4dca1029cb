import path from "node:path";
import type { Logger } from "pino";
import type { PluginContext } from "./base.js";
import { discoverDropIns, dropInSource, DROP_IN_EXTENSIONS } from "./discover-dir.js";
import { discoverNpmPlugins } from "./discover-npm.js";
import { EVENT_TYPES, isEventType, type CaoEvent } from "./events.js";
import { PluginModuleLoader } from "./loader.js";
import { npmRoots } from "./npm-roots.js";
import { resolveOptions, type RegistryOptions, type ResolvedOptions } from "./options.js";
import { PluginQueue, type QueueStats } from "./plugin-queue.js";
import { errorMessage, recognisePlugin, type PluginInstance } from "./recognise.js";
import { guardUncaughtExceptions, guardUnhandledRejections } from "./rejection-guard.js";
import { delay, settleWithin } from "./settle.js";
import type { DiscoveryProblem, PluginSource } from "./source.js";
import { Watchdog } from "./watchdog.js";
import { DropInWatcher } from "./watcher.js";

export type PluginStatus = "active" | "failed" | "disabled";

/** One row of `list()` and of `GET /plugins`. */
export interface PluginInfo {
  name: string;
  source: "npm" | "dir";
  version?: string;
  path: string;
  status: PluginStatus;
  hooks: string[];
  error?: string;
}

interface Entry {
  source: PluginSource;
  status: PluginStatus;
  error?: string;
  plugin?: PluginInstance;
  queue?: PluginQueue;
}

/** The sink the services emit into; the registry is one, and so is anything that wants to listen like one. */
export interface EventSink {
  dispatch(event: CaoEvent): void;
}

/**
 * Discovers, loads and runs plugins, and dispatches events to them (DESIGN §5–§7).
 * `dispatch` is fire-and-forget: it never throws and never waits; each plugin has its own ordered queue.
 */
export class PluginRegistry implements EventSink {
  private readonly options: ResolvedOptions;
  private readonly log: Logger;
  private readonly loader = new PluginModuleLoader();
  private readonly watchdog: Watchdog;
  private readonly entries = new Map<string, Entry>();
  /** eventType → queues to push to; rebuilt whenever the set of active plugins or their hooks change. */
  private table = new Map<string, PluginQueue[]>();
  /** Queues being reloaded: they buffer every event type until the new version's hooks are known. */
  private readonly reloading = new Set<PluginQueue>();
  private reloadChains = new Map<string, Promise<void>>();
  private watcher: DropInWatcher | undefined;
  private readonly unguards: (() => void)[] = [];
  private readonly kicked: PluginQueue[] = [];
  private state: "new" | "loading" | "loaded" | "closed" = "new";

  constructor(options: RegistryOptions = {}) {
    this.options = resolveOptions(options);
    this.log = this.options.logger.child({ component: "plugins" });
    this.watchdog = new Watchdog(this.options.handlerTimeoutMs);
  }

  /** Discover, import, instantiate and set up every plugin. Never throws because of a plugin. */
  async load(): Promise<void> {
    if (this.state !== "new") throw new Error(`PluginRegistry.load() called twice (state: ${this.state})`);
    this.state = "loading";
    const { options } = this;
    if (options.disabled) {
      for (const source of this.discover(false)) this.entries.set(source.name, { source, status: "disabled" });
      this.log.info(`plugins disabled by CAO_DISABLE_PLUGINS=1 (safe mode): loading none`);
      this.state = "loaded";
      return;
    }
    const sources = this.discover(true);
    if (options.guardUnhandledRejections) this.unguards.push(guardUnhandledRejections(this.log, () => this.pluginPaths()));
    if (options.guardUncaughtExceptions) this.unguards.push(guardUncaughtExceptions(this.log, () => this.pluginPaths()));
    await Promise.all(sources.map((source) => this.loadFresh(source)));
    if (options.watch) {
      this.watcher = new DropInWatcher(options.pluginsDir, options.reloadDebounceMs, (name) => this.scheduleReload(name));
      try {
        await this.watcher.start();
      } catch (error) {
        this.log.warn({ err: error }, `cannot watch ${options.pluginsDir} for plugin changes: ${errorMessage(error)}`);
        this.watcher = undefined;
      }
    }
    this.state = "loaded";
    this.logSummary(sources.length);
  }

  dispatch(event: CaoEvent): void {
    try {
      const type: unknown = event.eventType; // throws for null/undefined; caught below like any bad input
      if (typeof type !== "string") throw new TypeError(`eventType must be a string, got ${typeof type}`);
      const queues = this.table.get(type);
      if (queues === undefined && this.reloading.size === 0) return;
      if (!Object.isFrozen(event)) deepFreeze(event);
      if (queues !== undefined) for (let i = 0; i < queues.length; i++) queues[i]!.push(event);
      else for (const queue of this.reloading) queue.push(event);
    } catch (error) {
      this.log.warn({ err: error }, `dispatch ignored an invalid event: ${errorMessage(error)}`);
    }
  }

  /** Wait until every queued event has been handled, or `timeoutMs` passed. Resolves true when fully drained. */
  async drain(timeoutMs = 5000): Promise<boolean> {
    const queues = [...this.entries.values()].flatMap((entry) => (entry.queue ? [entry.queue] : []));
    const idle = Promise.all(queues.map((queue) => queue.whenIdle())).then(() => true);
    return Promise.race([idle, delay(timeoutMs).then(() => false)]);
  }

  list(): PluginInfo[] {
    return [...this.entries.values()].map((entry) => {
      const info: PluginInfo = {
        name: entry.source.name,
        source: entry.source.source,
        path: entry.source.path,
        status: entry.status,
        hooks: entry.plugin ? [...new Set(entry.plugin.handlers.map((h) => h.eventType))] : [],
      };
      if (entry.source.version !== undefined) info.version = entry.source.version;
      if (entry.error !== undefined) info.error = entry.error;
      return info;
    });
  }

  /** Delivery counters per active plugin: delivered, failed, timedOut, dropped, pending. */
  stats(): Record<string, QueueStats> {
    const out: Record<string, QueueStats> = {};
    for (const [name, entry] of this.entries) if (entry.queue) out[name] = entry.queue.snapshot();
    return out;
  }

  /** Drain (bounded), tear every plugin down (each bounded), stop watching. Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    await this.watcher?.close();
    await Promise.all(this.reloadChains.values());
    const drained = await this.drain(this.options.teardownTimeoutMs);
    if (!drained) this.log.warn(`plugins did not finish their queued events within ${this.options.teardownTimeoutMs} ms`);
    this.table = new Map();
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        if (entry.status !== "active" || !entry.plugin) return;
        await this.teardownPlugin(entry.source.name, entry.plugin);
      }),
    );
    this.watchdog.stop();
    for (const unguard of this.unguards.splice(0)) unguard();
  }

  private discover(report: boolean): PluginSource[] {
    const npm = discoverNpmPlugins(npmRoots(this.options));
    const dir = discoverDropIns(this.options.pluginsDir);
    if (report) for (const problem of [...npm.problems, ...dir.problems]) this.warnProblem(problem);
    const byName = new Map<string, PluginSource>();
    for (const source of [...npm.sources, ...dir.sources]) {
      const first = byName.get(source.name);
      if (first) {
        if (report) {
          this.log.warn(
            { plugin: source.name, kept: first.path, skipped: source.path },
            `two plugins are named "${source.name}": keeping ${first.path}, skipping ${source.path}`,
          );
        }
        continue;
      }
      byName.set(source.name, source);
    }
    return [...byName.values()];
  }

  private async loadFresh(source: PluginSource): Promise<void> {
    const entry: Entry = { source, status: "failed" };
    this.entries.set(source.name, entry);
    const plugin = await this.instantiate(source);
    if (typeof plugin === "string") return this.markFailed(entry, plugin);
    const setup = await this.setupPlugin(source.name, plugin);
    if (setup) return this.markFailed(entry, setup);
    entry.plugin = plugin;
    entry.status = "active";
    delete entry.error;
    entry.queue = this.createQueue(source.name);
    entry.queue.setHandlers(plugin.handlers);
    this.rebuildTable();
  }

  /** Import and recognise; returns the plugin or the reason it is not one. Runs no lifecycle method. */
  private async instantiate(source: PluginSource): Promise<PluginInstance | string> {
    let exports: unknown;
    try {
      exports = await this.loader.import(source);
    } catch (error) {
      return `import failed: ${errorMessage(error)}`;
    }
    const recognised = recognisePlugin(exports, this.contextFor(source.name));
    if (!recognised.ok) return recognised.reason;
    const unknown = recognised.plugin.handlers.filter((h) => !isEventType(h.eventType)).map((h) => h.eventType);
    if (unknown.length > 0) {
      this.log.warn(
        { plugin: source.name, unknown },
        `plugin "${source.name}" hooks unknown event types ${unknown.join(", ")} (known: ${EVENT_TYPES.join(", ")})`,
      );
    }
    return recognised.plugin;
  }

  /** Returns undefined on success, else why setup failed. A setup that finishes after its timeout is torn down. */
  private async setupPlugin(name: string, plugin: PluginInstance): Promise<string | undefined> {
    const ms = this.options.setupTimeoutMs;
    const result = await settleWithin(
      () => plugin.setup(),
      ms,
      (ok) => {
        if (ok) void this.teardownPlugin(name, plugin);
      },
    );
    if (result.ok) return undefined;
    return result.timedOut ? `setup() did not settle within ${ms} ms` : `setup() threw: ${errorMessage(result.error)}`;
  }

  private async teardownPlugin(name: string, plugin: PluginInstance): Promise<void> {
    const ms = this.options.teardownTimeoutMs;
    const result = await settleWithin(() => plugin.teardown(), ms);
    if (result.ok) return;
    const why = result.timedOut ? `did not settle within ${ms} ms` : `threw: ${errorMessage(result.error)}`;
    this.log.warn({ plugin: name, err: result.error }, `plugin "${name}" teardown() ${why}`);
  }

  private markFailed(entry: Entry, reason: string): void {
    entry.status = "failed";
    entry.error = reason;
    this.log.warn({ plugin: entry.source.name, path: entry.source.path }, `plugin "${entry.source.name}" skipped: ${reason}`);
  }

  private createQueue(name: string): PluginQueue {
    const queue = new PluginQueue(name, {
      limit: this.options.queueLimit,
      handlerTimeoutMs: this.options.handlerTimeoutMs,
      watchdog: this.watchdog,
      logger: this.log,
      kick: this.kick,
    });
    this.watchdog.add(queue);
    return queue;
  }

  /**
   * Queues that just got work are started together, once per dispatch burst, keeping dispatch() cheap for the caller.
   * setImmediate rather than a microtask: microtasks run before the caller's pending I/O (an HTTP reply not yet
   * written), so plugin code would sit inside the request; setImmediate runs it after the reply has gone out.
   */
  private readonly kick = (queue: PluginQueue): void => {
    if (this.kicked.push(queue) === 1) setImmediate(this.runKicked);
  };

  private readonly runKicked = (): void => {
    const queues = this.kicked.splice(0);
    for (const queue of queues) queue.run();
  };

  private rebuildTable(): void {
    const table = new Map<string, PluginQueue[]>();
    const allTypes = new Set<string>(EVENT_TYPES);
    for (const entry of this.entries.values()) {
      if (entry.status === "active" && entry.queue) for (const type of entry.queue.eventTypes()) allTypes.add(type);
    }
    for (const type of allTypes) {
      const queues: PluginQueue[] = [];
      for (const entry of this.entries.values()) {
        const queue = entry.queue;
        if (!queue || entry.status !== "active") continue;
        if (this.reloading.has(queue) || queue.eventTypes().includes(type)) queues.push(queue);
      }
      if (queues.length > 0) table.set(type, queues);
    }
    this.table = table;
  }

  private scheduleReload(name: string): void {
    if (this.state === "closed") return;
    const previous = this.reloadChains.get(name) ?? Promise.resolve();
    const next = previous.then(() => this.reload(name)).catch((error: unknown) => {
      this.log.warn({ plugin: name, err: error }, `reloading plugin "${name}" failed: ${errorMessage(error)}`);
    });
    this.reloadChains.set(name, next);
    void next.then(() => {
      if (this.reloadChains.get(name) === next) this.reloadChains.delete(name);
    });
  }

  /** Bring drop-in `name` in line with the disk: load it, swap in its new version, or unload it. */
  private async reload(name: string): Promise<void> {
    if (this.state === "closed") return;
    const entry = this.entries.get(name);
    if (entry && entry.source.source !== "dir") return; // an npm plugin owns this name; the clash was warned at load
    const source = this.findDropIn(name);
    if (!source) {
      if (entry) await this.unload(name, entry);
      return;
    }
    if (!entry || entry.status !== "active" || !entry.plugin || !entry.queue) {
      await this.loadFresh(source);
      if (this.entries.get(name)?.status === "active") this.log.info({ plugin: name }, `plugin "${name}" loaded`);
      return;
    }
    const next = await this.instantiate(source);
    if (typeof next === "string") {
      this.log.warn({ plugin: name, path: source.path }, `plugin "${name}" not reloaded, the running version stays: ${next}`);
      return;
    }
    await this.swap(entry, source, next);
  }

  /** teardown(old) → setup(new) → swap, while the queue holds back (and keeps) every event dispatched meanwhile. */
  private async swap(entry: Entry, source: PluginSource, next: PluginInstance): Promise<void> {
    const queue = entry.queue!;
    const name = source.name;
    this.reloading.add(queue);
    this.rebuildTable();
    await queue.pause();
    await this.teardownPlugin(name, entry.plugin!);
    const failure = await this.setupPlugin(name, next);
    this.reloading.delete(queue);
    entry.source = source;
    if (failure) {
      entry.plugin = undefined;
      const discarded = queue.clear();
      this.watchdog.delete(queue);
      entry.queue = undefined;
      this.markFailed(entry, `${failure} (after reload; ${discarded} queued events discarded)`);
      this.rebuildTable();
      return;
    }
    entry.plugin = next;
    queue.setHandlers(next.handlers);
    this.rebuildTable();
    queue.resume();
    this.log.info({ plugin: name }, `plugin "${name}" reloaded`);
  }

  private async unload(name: string, entry: Entry): Promise<void> {
    this.entries.delete(name);
    this.rebuildTable();
    if (entry.queue) {
      // Events it accepted before the file went away still reach it, within the teardown bound.
      await Promise.race([entry.queue.whenIdle(), delay(this.options.teardownTimeoutMs)]);
      this.watchdog.delete(entry.queue);
    }
    if (entry.status === "active" && entry.plugin) await this.teardownPlugin(name, entry.plugin);
    this.log.info({ plugin: name }, `plugin "${name}" unloaded`);
  }

  private findDropIn(name: string): PluginSource | undefined {
    const dir = this.options.pluginsDir;
    const candidates = [path.join(dir, name), ...DROP_IN_EXTENSIONS.map((ext) => path.join(dir, name + ext))].sort();
    for (const candidate of candidates) {
      const source = dropInSource(candidate);
      if (source && source.name === name) return source;
    }
    return undefined;
  }

  private contextFor(name: string): PluginContext {
    return {
      name,
      logger: this.options.logger.child({ plugin: name }),
      caoHome: this.options.caoHome,
      env: this.options.env,
    };
  }

  private *pluginPaths(): Iterable<{ name: string; path: string }> {
    for (const entry of this.entries.values()) yield { name: entry.source.name, path: entry.source.path };
  }

  private warnProblem(problem: DiscoveryProblem): void {
    this.log.warn({ path: problem.path }, `plugin discovery skipped ${problem.path}: ${problem.reason}`);
  }

  private logSummary(found: number): void {
    if (found === 0) {
      this.log.info(`no plugins found (drop-in dir ${this.options.pluginsDir}, npm keyword "cao-plugin")`);
      return;
    }
    const active = this.list().filter((p) => p.status === "active").map((p) => p.name);
    const failed = found - active.length;
    this.log.info(
      { active, failed },
      `plugins: ${active.length} active${active.length ? ` (${active.join(", ")})` : ""}${failed ? `, ${failed} failed` : ""}`,
    );
  }
}

function deepFreeze(value: object): void {
  Object.freeze(value);
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== null && typeof inner === "object" && !Object.isFrozen(inner)) deepFreeze(inner);
  }
}
