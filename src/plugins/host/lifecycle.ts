import type { Logger } from "pino";
import { Deadline, runWithDeadline, TIMED_OUT } from "../../util/deadline.js";
import { errorMessage } from "../../util/errors.js";
import { EVENT_TYPES, isEventType } from "../api/events.js";
import type { PluginContext, PluginIsolation } from "../api/plugin.js";
import type { PluginScope } from "./containment/plugin-scope.js";
import type { PluginSource } from "./discovery/source.js";
import type { PluginModuleLoader } from "./loading/module-loader.js";
import { declaredIsolation, recognisePlugin, type PluginInstance } from "./loading/recognise.js";
import { chooseIsolation, isolationSetting } from "./isolation/choose.js";
import { WorkerPlugin } from "./isolation/worker-plugin.js";
import { interpolate, InterpolationError } from "./config/interpolate.js";
import { validateConfig } from "./config/validate-config.js";
import type { ResolvedOptions } from "./options.js";

/** A plugin instance, or why there is none (and where it ran, when it got as far as a worker thread). */
export type Outcome = PluginInstance | Failure;

export interface Failure {
  failed: string;
  isolation?: PluginIsolation;
}

export function failed(outcome: Outcome): outcome is Failure {
  return "failed" in outcome;
}

/** Why registry.add() refuses worker isolation: an object lives in the server's heap and cannot be sent to a thread. */
export const MEMORY_PLUGIN_IN_WORKER =
  'a plugin given to add() as an object cannot run in a worker thread: it lives in the server\'s heap and a worker imports its plugin from a file; use a drop-in file or an npm package for isolation "worker"';

/**
 * Starting and stopping one plugin, every step bounded: import, recognition and `setup()` share one deadline (the
 * setup timeout), `teardown()` has its own. All plugin code runs inside the plugin's scope, so whatever it starts is
 * attributed to it. Nothing here throws because of a plugin.
 */
export class Lifecycle {
  constructor(
    private readonly deps: {
      loader: PluginModuleLoader;
      scope: PluginScope;
      options: ResolvedOptions;
      log: Logger;
      /** A worker plugin died too often and stays down (docs/contract.md#plugin-api): the registry marks it failed. */
      onWorkerFailed(name: string, plugin: PluginInstance, reason: string): void;
    },
  ) {}

  /**
   * Begins importing `source` inside the plugin's scope: everything up to the module's first top-level await has run
   * when this returns. The promise is the rest, and carries a synchronous failure too.
   */
  beginImport(source: PluginSource): Promise<unknown> {
    // Set to run in a worker: imported there, never here, so not even its top-level code runs in the server.
    if (this.setting(source.name) === "worker") return Promise.resolve(undefined);
    let imported: Promise<unknown>;
    try {
      imported = this.deps.scope.run(source.name, () => this.deps.loader.import(source));
    } catch (error) {
      imported = Promise.reject(error);
    }
    imported.catch(() => undefined); // handled where it is awaited; this only keeps it from counting as unhandled meanwhile
    return imported;
  }

  /** Finishes importing, recognises and sets up one plugin, all within one deadline starting now. */
  async start(source: PluginSource, imported: Promise<unknown> = this.beginImport(source)): Promise<Outcome> {
    const deadline = new Deadline(this.deps.options.setupTimeoutMs);
    try {
      const plugin = await this.instantiate(source, imported, deadline);
      if (failed(plugin)) return plugin;
      const setup = await this.setup(source.name, plugin, deadline);
      return setup === undefined ? plugin : { failed: setup, isolation: plugin.isolation };
    } finally {
      deadline.clear();
    }
  }

  /** A new version of `source`, imported and recognised but not set up: what a reload validates before swapping. */
  async prepare(source: PluginSource): Promise<Outcome> {
    const deadline = new Deadline(this.deps.options.setupTimeoutMs);
    try {
      return await this.instantiate(source, this.beginImport(source), deadline);
    } finally {
      deadline.clear();
    }
  }

  /** Runs `setup()` within `deadline` (a new one by default); undefined on success, else why it failed. */
  async setup(name: string, plugin: PluginInstance, deadline?: Deadline): Promise<string | undefined> {
    const limit = deadline ?? new Deadline(this.deps.options.setupTimeoutMs);
    try {
      // A setup that finishes after its deadline is torn down: the plugin counts as failed, so nothing else will.
      const result = await runWithDeadline(
        () => this.deps.scope.run(name, () => plugin.setup()),
        limit,
        (ok) => {
          if (ok) void this.stop(name, plugin);
        },
      );
      if (result.ok) return undefined;
      // A worker plugin's thread ends now (so a late setup never comes back); inline, close() has nothing to do.
      void plugin.close();
      return result.timedOut
        ? `setup() did not settle within ${limit.ms} ms`
        : `setup() threw: ${errorMessage(result.error)}`;
    } finally {
      if (!deadline) limit.clear();
    }
  }

  /** Runs `teardown()` within the teardown timeout (a throw or a timeout is a WARN), then close() (a worker ends). */
  async stop(name: string, plugin: PluginInstance): Promise<void> {
    const ms = this.deps.options.teardownTimeoutMs;
    const result = await runWithDeadline(() => this.deps.scope.run(name, () => plugin.teardown()), ms);
    await plugin.close();
    if (result.ok) return;
    const why = result.timedOut ? `did not settle within ${ms} ms` : `threw: ${errorMessage(result.error)}`;
    this.deps.log.warn({ plugin: name, err: result.error }, `plugin "${name}" teardown() ${why}`);
  }

  /**
   * Import and recognise; returns the plugin or why it is not one. Runs no lifecycle method. An import still pending
   * at the deadline is abandoned: if it finishes later, nothing of it is instantiated.
   */
  private async instantiate(source: PluginSource, imported: Promise<unknown>, deadline: Deadline): Promise<Outcome> {
    const { name } = source;
    const setting = this.setting(name);
    let exports: unknown;
    try {
      const settled = await deadline.race(imported);
      if (settled === TIMED_OUT) return { failed: `import did not settle within ${deadline.ms} ms` };
      exports = settled;
    } catch (error) {
      return { failed: `import failed: ${errorMessage(error)}` };
    }
    // The setting wins; without one, the plugin's own declaration counts (so it was imported here to read it).
    const isolation = chooseIsolation(setting, setting === undefined ? declaredIsolation(exports) : undefined);
    if (!isolation.ok) return { failed: isolation.reason };
    // `${VAR}`s are replaced here, from the server's environment, in both modes; the schema runs where the plugin does.
    let rawConfig: unknown;
    try {
      rawConfig = interpolate(this.deps.options.plugins[name]?.config, this.deps.options.env);
    } catch (error) {
      if (error instanceof InterpolationError)
        return { failed: `invalid config: ${error.message}`, isolation: isolation.isolation };
      throw error;
    }
    let plugin: PluginInstance;
    if (isolation.isolation === "worker") {
      const started = await this.startWorker(source, rawConfig, deadline);
      if (failed(started)) return started;
      plugin = started;
    } else {
      const context = this.contextFor(name);
      const recognised = this.deps.scope.run(name, () => recognisePlugin(exports, context));
      if (!recognised.ok) return { failed: recognised.reason };
      const configured = await this.configure(name, recognised.plugin, context, rawConfig, deadline);
      if (configured !== undefined) return { failed: configured };
      plugin = recognised.plugin;
    }
    this.warnUnknownHooks(name, plugin);
    return plugin;
  }

  /** Starts `source` in a worker thread of its own; imported and recognised there within `deadline`. */
  private async startWorker(source: PluginSource, config: unknown, deadline: Deadline): Promise<Outcome> {
    if (source.source === "memory") return { failed: MEMORY_PLUGIN_IN_WORKER, isolation: "worker" };
    const { options, log, loader } = this.deps;
    // A plugin that declared its isolation was just transpiled here: once that is in the transpile cache, its worker
    // reads it instead of loading Babel again.
    await deadline.race(loader.cacheWritten());
    const started = await WorkerPlugin.load(
      {
        source,
        context: this.contextFor(source.name),
        config,
        heapMb: options.workerHeapMb,
        handlerTimeoutMs: options.handlerTimeoutMs,
        interceptTimeoutMs: options.interceptTimeoutMs,
        setupTimeoutMs: options.setupTimeoutMs,
        deaths: { limit: options.workerDeathLimit, windowMs: options.workerDeathWindowMs },
        log,
        pluginLog: options.logger.child({ plugin: source.name }),
        onFailed: (plugin, reason) => this.deps.onWorkerFailed(source.name, plugin, reason),
      },
      deadline,
    );
    return failed(started) ? { ...started, isolation: "worker" } : started;
  }

  private setting(name: string): unknown {
    return isolationSetting(this.deps.options.plugins, name);
  }

  private warnUnknownHooks(name: string, plugin: PluginInstance): void {
    const unknown = plugin.handlers.filter((h) => !isEventType(h.eventType)).map((h) => h.eventType);
    if (unknown.length > 0) {
      this.deps.log.warn(
        { plugin: name, unknown },
        `plugin "${name}" hooks unknown event types ${unknown.join(", ")} (known: ${EVENT_TYPES.join(", ")})`,
      );
    }
  }

  /**
   * The plugin's `config:` section (docs/contract.md#configyaml), as the settings hold it now: `${VAR}`s replaced, validated by the
   * plugin's schema (within the plugin's deadline: a schema may be async), and handed to the plugin and its context.
   * Undefined on success, else why the plugin cannot run with it.
   */
  private async configure(
    name: string,
    plugin: PluginInstance,
    context: { config: unknown },
    raw: unknown,
    deadline: Deadline,
  ): Promise<string | undefined> {
    const validated = await deadline.race(this.deps.scope.run(name, () => validateConfig(plugin.configSchema, raw)));
    if (validated === TIMED_OUT) return `its config schema did not settle within ${deadline.ms} ms`;
    if (!validated.ok) return validated.error;
    context.config = validated.value;
    plugin.configure(validated.value);
    return undefined;
  }

  private contextFor(name: string): PluginContext & { config: unknown } {
    const { options } = this.deps;
    return {
      name,
      logger: options.logger.child({ plugin: name }),
      caoHome: options.caoHome,
      env: options.env,
      config: undefined,
    };
  }
}
