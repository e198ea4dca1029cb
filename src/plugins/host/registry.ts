import path from "node:path";
import type { Logger } from "pino";
import type { PluginContext } from "../api/plugin.js";
import { discoverDropIns, dropInSource, DROP_IN_EXTENSIONS } from "./discovery/dir.js";
import { discoverNpmPlugins } from "./discovery/npm.js";
import { EVENT_TYPES, isEventType, type CaoEvent } from "../api/events.js";
import { PluginModuleLoader } from "./loading/module-loader.js";
import { npmRoots } from "./discovery/npm-roots.js";
import { resolveOptions, type RegistryOptions, type ResolvedOptions } from "./options.js";
import { PluginQueue, type QueueStats } from "./delivery/plugin-queue.js";
import { PluginScope, type PluginLocation } from "./containment/plugin-scope.js";
import { guardProcess } from "./containment/process-guard.js";
import { errorMessage } from "../../util/errors.js";
import { recognisePlugin, type PluginInstance } from "./loading/recognise.js";
import { Deadline, settlesWithin, settleWithin, TIMED_OUT } from "../../util/deadline.js";
import type { DiscoveryProblem, PluginSource } from "./discovery/source.js";
import { Watchdog } from "./delivery/timeout-clock.js";
import { DropInWatcher } from "./hot-reload/drop-in-watcher.js";

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
  private readonly loader: PluginModuleLoader;
  private readonly watchdog: Watchdog;
  private readonly entries = new Map<string, Entry>();
  /** eventType → queues to push to; rebuilt whenever the set of active plugins or their hooks change. */
  private table = new Map<string, PluginQueue[]>();
  /** Queues being reloaded: they buffer every event type until the new version's hooks are known. */
  private readonly reloading = new Set<PluginQueue>();
  private reloadChains = new Map<string, Promise<void>>();
  private watcher: DropInWatcher | undefined;
  /** Attributes running code to its plugin, for the process-level guards. */
  private readonly scope: PluginScope;
  private unguard: (() => void) | undefined;
  private readonly kicked: PluginQueue[] = [];
  private state: "new" | "loading" | "loaded" | "closed" = "new";

  constructor(options: RegistryOptions = {}) {
    this.options = resolveOptions(options);
    this.log = this.options.logger.child({ component: "plugins" });
    this.watchdog = new Watchdog(this.options.handlerTimeoutMs);
    this.loader = new PluginModuleLoader(this.options.caoHome);
    this.scope = new PluginScope(this.options.guardUncaughtExceptions, () => this.locations());
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
    if (options.guardUnhandledRejections || options.guardUncaughtExceptions) {
      this.unguard = guardProcess({
        log: this.log,
        scope: this.scope,
        rejections: options.guardUnhandledRejections,
        contain: options.guardUncaughtExceptions,
      });
    }
    await this.loadAll(sources);
    // The cache was written in the background meanwhile; waiting here (bounded) leaves nothing half-done behind load().
    await settlesWithin(this.loader.cacheWritten(), options.setupTimeoutMs);
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
    return settlesWithin(Promise.all(queues.map((queue) => queue.whenIdle())), timeoutMs);
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
    // A reload may have left a transpile cache entry being written; nothing of the registry outlives teardown().
    await settlesWithin(this.loader.cacheWritten(), this.options.teardownTimeoutMs);
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
    this.unguard?.();
    this.unguard = undefined;
    this.scope.dispose();
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

  /**
   * Every import starts in one synchronous pass (reading, transpiling and running each module's top level up to its
   * first await is CPU work that would only contend), and only then do the plugins' deadlines start: no plugin's time
   * is spent on transpiling the others. The imports' asynchronous rest and the setups proceed side by side.
   * (A method of its own so that no closure made in load(), such as the watcher's callback, keeps the first imports'
   * promises, and with them the first version of every module, alive.)
   */
  private async loadAll(sources: PluginSource[]): Promise<void> {
    const imports = sources.map((source) => this.startImport(source));
    await Promise.all(sources.map((source, i) => this.loadFresh(source, imports[i]!)));
  }

  /**
   * Begins importing `source` inside the plugin's scope: everything up to the module's first top-level await has run
   * when this returns. The promise is the rest, and carries a synchronous failure too.
   */
  private startImport(source: PluginSource): Promise<unknown> {
    let imported: Promise<unknown>;
    try {
      imported = this.scope.run(source.name, () => this.loader.import(source));
    } catch (error) {
      imported = Promise.reject(error);
    }
    imported.catch(() => undefined); // handled where it is awaited; this only keeps it from counting as unhandled meanwhile
    return imported;
  }

  /** Finish importing, recognise and set up one plugin, all within one deadline (the setup timeout) starting now. */
  private async loadFresh(source: PluginSource, imported = this.startImport(source)): Promise<void> {
    const entry: Entry = { source, status: "failed" };
    this.entries.set(source.name, entry);
    const deadline = new Deadline(this.options.setupTimeoutMs);
    let plugin: PluginInstance | string;
    let failure: string | undefined;
    try {
      plugin = await this.instantiate(source, imported, deadline);
      if (typeof plugin !== "string") failure = await this.setupPlugin(source.name, plugin, deadline);
    } finally {
      deadline.clear();
    }
    if (typeof plugin === "string") return this.markFailed(entry, plugin);
    if (failure) return this.markFailed(entry, failure);
    entry.plugin = plugin;
    entry.status = "active";
    delete entry.error;
    entry.queue = this.createQueue(source.name);
    entry.queue.setHandlers(plugin.handlers);
    this.rebuildTable();
  }

  /**
   * Import and recognise; returns the plugin or the reason it is not one. Runs no lifecycle method. An import still
   * pending at the deadline is abandoned: if it finishes later, nothing of it is instantiated.
   */
  private async instantiate(source: PluginSource, imported: Promise<unknown>, deadline: Deadline): Promise<PluginInstance | string> {
    const name = source.name;
    let exports: unknown;
    try {
      const settled = await deadline.race(imported);
      if (settled === TIMED_OUT) return `import did not settle within ${deadline.ms} ms`;
      exports = settled;
    } catch (error) {
      return `import failed: ${errorMessage(error)}`;
    }
    const recognised = this.scope.run(name, () => recognisePlugin(exports, this.contextFor(name)));
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

  /** Returns undefined on success, else why setup failed. A setup that finishes after its deadline is torn down. */
  private async setupPlugin(name: string, plugin: PluginInstance, deadline: Deadline): Promise<string | undefined> {
    const result = await settleWithin(
      () => this.scope.run(name, () => plugin.setup()),
      deadline,
      (ok) => {
        if (ok) void this.teardownPlugin(name, plugin);
      },
    );
    if (result.ok) return undefined;
    return result.timedOut ? `setup() did not settle within ${deadline.ms} ms` : `setup() threw: ${errorMessage(result.error)}`;
  }

  private async teardownPlugin(name: string, plugin: PluginInstance): Promise<void> {
    const ms = this.options.teardownTimeoutMs;
    const result = await settleWithin(() => this.scope.run(name, () => plugin.teardown()), ms);
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
      scope: this.scope,
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

  /** Linear in the number of plugins: it runs once per plugin loaded, so anything more would be quadratic at start-up. */
  private rebuildTable(): void {
    const active: PluginQueue[] = [];
    for (const entry of this.entries.values()) if (entry.status === "active" && entry.queue) active.push(entry.queue);
    const allTypes = new Set<string>(EVENT_TYPES);
    for (const queue of active) for (const type of queue.eventTypes()) allTypes.add(type);
    const table = new Map<string, PluginQueue[]>();
    for (const queue of active) {
      for (const type of this.reloading.has(queue) ? allTypes : queue.eventTypes()) {
        const queues = table.get(type);
        if (queues) queues.push(queue);
        else table.set(type, [queue]);
      }
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
    const imported = this.startImport(source);
    const deadline = new Deadline(this.options.setupTimeoutMs);
    const next = await this.instantiate(source, imported, deadline).finally(() => deadline.clear());
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
    const deadline = new Deadline(this.options.setupTimeoutMs);
    const failure = await this.setupPlugin(name, next, deadline).finally(() => deadline.clear());
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
      await settlesWithin(entry.queue.whenIdle(), this.options.teardownTimeoutMs);
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

  private *locations(): Iterable<PluginLocation> {
    for (const entry of this.entries.values()) yield { name: entry.source.name, entry: entry.source.entry, path: entry.source.path };
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
