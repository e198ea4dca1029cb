import type { Logger } from "pino";
import { waitUntilSettled } from "../../util/deadline.js";
import { errorMessage } from "../../util/errors.js";
import type { EventSink } from "../../services/event-sink.js";
import {
  OperationDeniedEvent,
  PluginFailedEvent,
  PluginLoadedEvent,
  PluginReloadedEvent,
  PluginUnloadedEvent,
  type CaoEvent,
} from "../api/events.js";
import type { InterceptPoint, InterceptPointMap } from "../api/points.js";
import type { OperationGate, Verdict } from "../../services/operation-gate.js";
import { Activation, type LifecycleChange } from "./activation.js";
import { Catalog, type ActiveEntry, type PluginInfo } from "./catalog.js";
import { ConfigWatcher } from "./config/config-watcher.js";
import { PluginConfig } from "./config/plugin-config.js";
import { PluginScope } from "./containment/plugin-scope.js";
import { guardProcess } from "./containment/process-guard.js";
import { Deliveries } from "./delivery/deliveries.js";
import type { QueueStats } from "./delivery/plugin-queue.js";
import { discoverPlugins } from "./discovery/discover.js";
import { memorySource, type PluginSource } from "./discovery/source.js";
import { HotReload } from "./hot-reload/hot-reload.js";
import { InterceptorChain } from "./intercept/chain.js";
import { InterceptorTable } from "./intercept/interceptor-table.js";
import { chooseIsolation, isolationSetting } from "./isolation/choose.js";
import { failed, Lifecycle, MEMORY_PLUGIN_IN_WORKER } from "./lifecycle.js";
import { declaredIsolation } from "./loading/recognise.js";
import { PluginModuleLoader } from "./loading/module-loader.js";
import { Management, type PluginDetails } from "./management.js";
import { resolveOptions, type RegistryOptions, type ResolvedOptions } from "./options.js";
import { Router } from "./router.js";
import { KeyedSerial } from "../../util/keyed-serial.js";

export type { PluginInfo, PluginStatus } from "./catalog.js";
export type { PluginDetails } from "./management.js";

/**
 * Discovers, loads and runs plugins, and dispatches events to them (docs/contract.md#plugin-api): the facade over the host's parts
 * (catalog, lifecycle, activation, router, deliveries, hot reload). `dispatch` is fire-and-forget: it never throws and
 * never waits; each plugin has its own ordered queue.
 */
export class PluginRegistry implements EventSink, OperationGate {
  private readonly options: ResolvedOptions;
  private readonly log: Logger;
  private readonly catalog: Catalog;
  private readonly router = new Router();
  /** Attributes running code to its plugin, for the process-level guards. */
  private readonly scope: PluginScope;
  private readonly loader: PluginModuleLoader;
  private readonly lifecycle: Lifecycle;
  private readonly deliveries: Deliveries;
  private readonly activation: Activation;
  private readonly interceptors: InterceptorTable;
  private readonly chain: InterceptorChain;
  /** config.yaml (docs/contract.md#configyaml): the settings in force, and its watcher while running. */
  private readonly config: PluginConfig;
  private configWatcher: ConfigWatcher | undefined;
  private readonly serial = new KeyedSerial();
  private readonly management: Management;
  private hotReload: HotReload | undefined;
  private unguard: (() => void) | undefined;
  private state: "new" | "loading" | "loaded" | "closed" = "new";
  /** Names load() is importing and setting up: not yet in the catalog, but no longer free for add(). */
  private readonly loadingNames = new Set<string>();
  /** Where the registry's own events (plugin_*, operation_denied) go: itself, or the server's journal in front of it (announceTo). */
  private ownEvents: EventSink = this;
  /** Lifecycle events of start-up, held until every plugin's setup has finished so every plugin hears all of them. */
  private heldAnnouncements: CaoEvent[] | undefined;

  constructor(options: RegistryOptions = {}) {
    const resolved = (this.options = resolveOptions(options));
    const log = (this.log = resolved.logger.child({ component: "plugins" }));
    this.catalog = new Catalog(resolved.plugins);
    this.scope = new PluginScope(resolved.guardUncaughtExceptions, () => this.catalog.locations());
    this.loader = new PluginModuleLoader(resolved.caoHome);
    this.lifecycle = new Lifecycle({
      loader: this.loader,
      scope: this.scope,
      options: resolved,
      log,
      onWorkerFailed: (name, plugin, reason) => void this.activation.retire(name, plugin, reason),
    });
    this.interceptors = new InterceptorTable(this.scope);
    this.chain = new InterceptorChain({ table: this.interceptors, timeoutMs: resolved.interceptTimeoutMs, log });
    this.deliveries = new Deliveries({
      queueLimit: resolved.queueLimit,
      handlerTimeoutMs: resolved.handlerTimeoutMs,
      logger: log,
      scope: this.scope,
    });
    this.activation = new Activation({
      catalog: this.catalog,
      lifecycle: this.lifecycle,
      router: this.router,
      interceptors: this.interceptors,
      deliveries: this.deliveries,
      log,
      teardownTimeoutMs: resolved.teardownTimeoutMs,
      onChange: (change) => this.announce(change),
    });
    this.config = new PluginConfig(resolved.configFile, resolved.plugins);
    this.management = new Management({
      options: resolved,
      catalog: this.catalog,
      lifecycle: this.lifecycle,
      activation: this.activation,
      loader: this.loader,
      config: this.config,
      serial: this.serial,
      log,
      memoryNames: () => this.memorySources(),
    });
  }

  /**
   * Sends the registry's own events (plugin_loaded, …, operation_denied) to `sink` instead of straight to the plugins:
   * a server puts its event journal there, which journals them and passes them back to dispatch().
   */
  announceTo(sink: EventSink): void {
    this.ownEvents = sink;
  }

  /** Discover, import, instantiate and set up every plugin. Never throws because of a plugin. */
  async load(): Promise<void> {
    if (this.state !== "new") throw new Error(`PluginRegistry.load() called twice (state: ${this.state})`);
    this.state = "loading";
    const { options } = this;
    this.readConfig("start-up");
    const found = discoverPlugins(options, this.memorySources());
    if (options.disabled) {
      for (const source of found.sources) this.catalog.set({ status: "disabled", source });
      this.log.info(`plugins disabled by CAO_DISABLE_PLUGINS=1 (safe mode): loading none`);
      this.state = "loaded";
      return;
    }
    for (const problem of found.problems)
      this.log.warn({ path: problem.path }, `plugin discovery skipped ${problem.path}: ${problem.reason}`);
    for (const clash of found.clashes) {
      this.log.warn(clash, `two plugins are named "${clash.name}": keeping ${clash.kept}, skipping ${clash.skipped}`);
    }
    this.guard();
    const enabled = found.sources.filter((source) => this.config.enabled(source.name));
    for (const source of found.sources)
      if (!this.config.enabled(source.name)) this.catalog.set({ status: "disabled", source });
    await this.loadAll(enabled);
    // The cache was written in the background meanwhile; waiting here (bounded) leaves nothing half-done behind load().
    await waitUntilSettled(this.loader.cacheWritten(), options.setupTimeoutMs);
    if (options.watch) {
      this.hotReload = new HotReload({
        dir: options.pluginsDir,
        debounceMs: options.reloadDebounceMs,
        log: this.log,
        catalog: this.catalog,
        lifecycle: this.lifecycle,
        activation: this.activation,
        serial: this.serial,
        enabled: (name) => this.config.enabled(name),
      });
      await this.hotReload.start();
      await this.watchConfig();
    }
    this.state = "loaded";
    this.logSummary(found.sources.length);
  }

  /**
   * Registers a plugin given as an object (a CaoPlugin subclass or instance, or a definePlugin object) under `name`,
   * sets it up (bounded) and returns its row: for embedders and tests, which need no file. Works before and after
   * load(); a name already in use is refused, and so is worker isolation (an object cannot cross to a thread).
   */
  async add(name: string, plugin: unknown): Promise<PluginInfo> {
    if (typeof name !== "string" || name.trim() === "") throw new TypeError("registry.add() needs a plugin name");
    if (this.state === "closed") throw new Error("the registry is torn down");
    if (this.isTaken(name)) throw new Error(`a plugin named "${name}" is already registered`);
    const setting = isolationSetting(this.options.plugins, name);
    const isolation = chooseIsolation(
      setting,
      setting === undefined ? declaredIsolation({ default: plugin }) : undefined,
    );
    if (!isolation.ok) throw new TypeError(`plugin "${name}": ${isolation.reason}`);
    if (isolation.isolation === "worker") throw new TypeError(`plugin "${name}": ${MEMORY_PLUGIN_IN_WORKER}`);
    this.guard();
    const source = memorySource(name);
    const outcome = await this.lifecycle.start(source, Promise.resolve({ default: plugin }));
    if (this.isTaken(name)) {
      // Registered meanwhile (a concurrent add or load): ours must not replace it.
      if (!failed(outcome)) await this.lifecycle.stop(name, outcome);
      throw new Error(`a plugin named "${name}" is already registered`);
    }
    return this.catalog.describe(this.activation.settle(source, outcome));
  }

  /** The row of `name` plus its config.yaml section as written, isolation and queue counters; NotFoundError (404) if unknown. */
  info(name: string): PluginDetails {
    return this.management.info(name);
  }

  /** Re-import `name` (npm plugins afresh too) and swap it in; ConflictError (409) if the new version cannot run. */
  reload(name: string): Promise<PluginInfo> {
    return this.management.reload(name);
  }

  /** Write `enabled: true` into config.yaml and load the plugin if it is not running; ConflictError (409) if that fails. */
  enable(name: string): Promise<PluginInfo> {
    return this.management.enable(name);
  }

  /** Write `enabled: false` into config.yaml; the plugin is torn down and listed "disabled". */
  disable(name: string): Promise<PluginInfo> {
    return this.management.disable(name);
  }

  /** Discover again: new plugins load, vanished ones unload. Returns every row. */
  rescan(): Promise<PluginInfo[]> {
    if (this.state !== "loaded")
      return Promise.reject(new Error(`the registry is ${this.state === "closed" ? "torn down" : "not loaded yet"}`));
    return this.management.rescan();
  }

  /** Unregisters plugin `name` (its queued events are delivered first, bounded; then teardown()); false if unknown. */
  async remove(name: string): Promise<boolean> {
    if (!this.catalog.get(name)) return false;
    await this.activation.deactivate(name);
    return true;
  }

  dispatch(event: CaoEvent): void {
    try {
      const type: unknown = event.eventType; // throws for null/undefined; caught below like any bad input
      if (typeof type !== "string") throw new TypeError(`eventType must be a string, got ${typeof type}`);
      if (!this.router.listens(type)) return;
      if (!Object.isFrozen(event)) deepFreeze(event);
      this.router.route(event);
    } catch (error) {
      this.log.warn({ err: error }, `dispatch ignored an invalid event: ${errorMessage(error)}`);
    }
  }

  /** Whether any interceptor serves `point` (docs/contract.md#interception-points): one map lookup, so an operation without any pays nothing. */
  intercepts(point: InterceptPoint): boolean {
    return this.interceptors.has(point);
  }

  /** Whether any interceptor of `point` was declared failClosed. */
  failsClosed(point: InterceptPoint): boolean {
    return this.interceptors.chain(point).some((interceptor) => interceptor.failClosed);
  }

  /**
   * Runs `op` through its point's interceptors. On a deny, observers hear an operation_denied event (dispatched
   * before this resolves, delivered after the caller's reply has gone, like every event).
   */
  async intercept<K extends InterceptPoint>(op: InterceptPointMap[K]): Promise<Verdict<K>> {
    const verdict = await this.chain.run(op);
    if (verdict.denied) {
      const { point, ...operation } = verdict.op as InterceptPointMap[InterceptPoint];
      const sessionId = "sessionName" in operation ? operation.sessionName : operation.sessionId;
      this.log.info({ plugin: verdict.plugin, point }, `plugin "${verdict.plugin}" denied ${point}: ${verdict.reason}`);
      this.ownEvents.dispatch(
        new OperationDeniedEvent({ sessionId, point, plugin: verdict.plugin, reason: verdict.reason, operation }),
      );
    }
    return verdict;
  }

  /** Wait until every queued event has been handled, or `timeoutMs` passed. Resolves true when fully drained. */
  async drain(timeoutMs = 5000): Promise<boolean> {
    return waitUntilSettled(Promise.all(this.catalog.active().map(({ queue }) => queue.whenIdle())), timeoutMs);
  }

  list(): PluginInfo[] {
    return this.catalog.rows();
  }

  /** Delivery counters per active plugin: delivered, failed, timedOut, dropped, pending. */
  stats(): Record<string, QueueStats> {
    const out: Record<string, QueueStats> = {};
    for (const { source, queue } of this.catalog.active()) out[source.name] = queue.snapshot();
    return out;
  }

  /**
   * Stop watching, announce plugin_unloaded for every active plugin, drain (bounded), tear every plugin down (each
   * bounded). Safe to call twice.
   */
  async teardown(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    await this.configWatcher?.close();
    await this.hotReload?.close();
    await this.serial.idle();
    // A reload may have left a transpile cache entry being written; nothing of the registry outlives teardown().
    await waitUntilSettled(this.loader.cacheWritten(), this.options.teardownTimeoutMs);
    const leaving = this.catalog.active();
    this.announceShutdown(leaving);
    const drained = await this.drain(this.options.teardownTimeoutMs);
    if (!drained)
      this.log.warn(`plugins did not finish their queued events within ${this.options.teardownTimeoutMs} ms`);
    this.router.clear();
    this.interceptors.clear();
    await Promise.all(leaving.map(({ source, plugin }) => this.lifecycle.stop(source.name, plugin)));
    this.deliveries.stop();
    this.unguard?.();
    this.unguard = undefined;
    this.scope.dispose();
  }

  /**
   * Every import starts in one synchronous pass (reading, transpiling and running each module's top level up to its
   * first await is CPU work that would only contend), and only then do the plugins' deadlines start: no plugin's time
   * is spent on transpiling the others. The imports' asynchronous rest and the setups proceed side by side; the
   * outcomes are then recorded in discovery order, so the list and its WARNs read the same on every start.
   */
  private async loadAll(sources: readonly PluginSource[]): Promise<void> {
    for (const { name } of sources) this.loadingNames.add(name);
    const held: CaoEvent[] = [];
    try {
      const imports = sources.map((source) => this.lifecycle.beginImport(source));
      const outcomes = await Promise.all(sources.map((source, i) => this.lifecycle.start(source, imports[i]!)));
      this.heldAnnouncements = held;
      sources.forEach((source, i) => this.activation.settle(source, outcomes[i]!));
    } finally {
      this.heldAnnouncements = undefined;
      this.loadingNames.clear();
    }
    for (const event of held) this.ownEvents.dispatch(event);
  }

  private isTaken(name: string): boolean {
    return this.catalog.get(name) !== undefined || this.loadingNames.has(name);
  }

  /** Reads config.yaml; a file that cannot be used is a WARN, and the settings stay as they were. */
  private readConfig(when: string): string[] {
    const read = this.config.reread();
    if (read.ok) return read.changed;
    this.log.warn(
      { file: this.config.file },
      `plugin configuration not applied (${when}), keeping the running state: ${read.error}`,
    );
    return [];
  }

  private async watchConfig(): Promise<void> {
    const watcher = new ConfigWatcher(this.config.file, this.options.reloadDebounceMs, () => {
      if (this.state === "closed") return;
      const changed = this.readConfig("after an edit");
      if (changed.length > 0) void this.management.applySections(changed);
    });
    try {
      await watcher.start();
      this.configWatcher = watcher;
    } catch (error) {
      this.log.warn({ err: error }, `cannot watch ${this.config.file} for changes: ${errorMessage(error)}`);
    }
  }

  private announce(change: LifecycleChange): void {
    const { name, source, version } = change.source;
    const fields = { plugin: name, source, version: version ?? null };
    const event =
      change.kind === "failed"
        ? new PluginFailedEvent({ ...fields, error: change.error })
        : change.kind === "loaded"
          ? new PluginLoadedEvent(fields)
          : change.kind === "reloaded"
            ? new PluginReloadedEvent(fields)
            : new PluginUnloadedEvent(fields);
    if (this.heldAnnouncements) this.heldAnnouncements.push(event);
    else this.ownEvents.dispatch(event);
  }

  /**
   * At shutdown every plugin goes at once, so no plugin_unloaded can come after its plugin's teardown and still reach
   * the others (one of each pair would have to be torn down first). They are announced before any teardown instead,
   * while every plugin still listens, mirroring start-up (plugin_loaded held until all setups finished): each plugin
   * hears all of them, its own included, behind the events already queued for it, and the journal records them all.
   */
  private announceShutdown(leaving: readonly ActiveEntry[]): void {
    for (const { source } of leaving) this.announce({ kind: "unloaded", source });
  }

  /** Installs the process-level guards the options ask for, once. */
  private guard(): void {
    const { guardUnhandledRejections: rejections, guardUncaughtExceptions: contain } = this.options;
    if (this.unguard || (!rejections && !contain)) return;
    this.unguard = guardProcess({ log: this.log, scope: this.scope, rejections, contain });
  }

  private memorySources(): Map<string, PluginSource> {
    const taken = new Map<string, PluginSource>();
    for (const entry of this.catalog.all())
      if (entry.source.source === "memory") taken.set(entry.source.name, entry.source);
    return taken;
  }

  private logSummary(found: number): void {
    if (found === 0 && this.catalog.active().length === 0) {
      this.log.info(`no plugins found (drop-in dir ${this.options.pluginsDir}, npm keyword "cao-plugin")`);
      return;
    }
    const rows = this.list();
    const active = rows.filter((p) => p.status === "active").map((p) => p.name);
    const failedCount = rows.filter((p) => p.status === "failed").length;
    this.log.info(
      { active, failed: failedCount },
      `plugins: ${active.length} active${active.length ? ` (${active.join(", ")})` : ""}${failedCount ? `, ${failedCount} failed` : ""}`,
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
