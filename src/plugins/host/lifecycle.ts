import type { Logger } from "pino";
import { Deadline, settleWithin, TIMED_OUT } from "../../util/deadline.js";
import { errorMessage } from "../../util/errors.js";
import { EVENT_TYPES, isEventType } from "../api/events.js";
import type { PluginContext } from "../api/plugin.js";
import type { PluginScope } from "./containment/plugin-scope.js";
import type { PluginSource } from "./discovery/source.js";
import type { PluginModuleLoader } from "./loading/module-loader.js";
import { recognisePlugin, type PluginInstance } from "./loading/recognise.js";
import { interpolate, InterpolationError } from "./config/interpolate.js";
import { validateConfig } from "./config/validate-config.js";
import type { ResolvedOptions } from "./options.js";

/** A plugin instance, or why there is none. */
export type Outcome = PluginInstance | { failed: string };

export function failed(outcome: Outcome): outcome is { failed: string } {
  return "failed" in outcome;
}

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
    },
  ) {}

  /**
   * Begins importing `source` inside the plugin's scope: everything up to the module's first top-level await has run
   * when this returns. The promise is the rest, and carries a synchronous failure too.
   */
  beginImport(source: PluginSource): Promise<unknown> {
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
      const plugin = await this.instantiate(source.name, imported, deadline);
      if (failed(plugin)) return plugin;
      const setup = await this.setup(source.name, plugin, deadline);
      return setup === undefined ? plugin : { failed: setup };
    } finally {
      deadline.clear();
    }
  }

  /** A new version of `source`, imported and recognised but not set up: what a reload validates before swapping. */
  async prepare(source: PluginSource): Promise<Outcome> {
    const deadline = new Deadline(this.deps.options.setupTimeoutMs);
    try {
      return await this.instantiate(source.name, this.beginImport(source), deadline);
    } finally {
      deadline.clear();
    }
  }

  /** Runs `setup()` within `deadline` (a new one by default); undefined on success, else why it failed. */
  async setup(name: string, plugin: PluginInstance, deadline?: Deadline): Promise<string | undefined> {
    const limit = deadline ?? new Deadline(this.deps.options.setupTimeoutMs);
    try {
      // A setup that finishes after its deadline is torn down: the plugin counts as failed, so nothing else will.
      const result = await settleWithin(() => this.deps.scope.run(name, () => plugin.setup()), limit, (ok) => {
        if (ok) void this.stop(name, plugin);
      });
      if (result.ok) return undefined;
      return result.timedOut ? `setup() did not settle within ${limit.ms} ms` : `setup() threw: ${errorMessage(result.error)}`;
    } finally {
      if (!deadline) limit.clear();
    }
  }

  /** Runs `teardown()` within the teardown timeout; a throw or a timeout is a WARN. */
  async stop(name: string, plugin: PluginInstance): Promise<void> {
    const ms = this.deps.options.teardownTimeoutMs;
    const result = await settleWithin(() => this.deps.scope.run(name, () => plugin.teardown()), ms);
    if (result.ok) return;
    const why = result.timedOut ? `did not settle within ${ms} ms` : `threw: ${errorMessage(result.error)}`;
    this.deps.log.warn({ plugin: name, err: result.error }, `plugin "${name}" teardown() ${why}`);
  }

  /**
   * Import and recognise; returns the plugin or why it is not one. Runs no lifecycle method. An import still pending
   * at the deadline is abandoned: if it finishes later, nothing of it is instantiated.
   */
  private async instantiate(name: string, imported: Promise<unknown>, deadline: Deadline): Promise<Outcome> {
    let exports: unknown;
    try {
      const settled = await deadline.race(imported);
      if (settled === TIMED_OUT) return { failed: `import did not settle within ${deadline.ms} ms` };
      exports = settled;
    } catch (error) {
      return { failed: `import failed: ${errorMessage(error)}` };
    }
    const context = this.contextFor(name);
    const recognised = this.deps.scope.run(name, () => recognisePlugin(exports, context));
    if (!recognised.ok) return { failed: recognised.reason };
    const configured = await this.configure(name, recognised.plugin, context, deadline);
    if (configured !== undefined) return { failed: configured };
    const unknown = recognised.plugin.handlers.filter((h) => !isEventType(h.eventType)).map((h) => h.eventType);
    if (unknown.length > 0) {
      this.deps.log.warn({ plugin: name, unknown }, `plugin "${name}" hooks unknown event types ${unknown.join(", ")} (known: ${EVENT_TYPES.join(", ")})`);
    }
    return recognised.plugin;
  }

  /**
   * The plugin's `config:` section (DESIGN §13), as the settings hold it now: `${VAR}`s replaced, validated by the
   * plugin's schema (within the plugin's deadline: a schema may be async), and handed to the plugin and its context.
   * Undefined on success, else why the plugin cannot run with it.
   */
  private async configure(name: string, plugin: PluginInstance, context: { config: unknown }, deadline: Deadline): Promise<string | undefined> {
    const { options } = this.deps;
    let raw: unknown;
    try {
      raw = interpolate(options.plugins[name]?.config, options.env);
    } catch (error) {
      if (error instanceof InterpolationError) return `invalid config: ${error.message}`;
      throw error;
    }
    const validated = await deadline.race(this.deps.scope.run(name, () => validateConfig(plugin.configSchema, raw)));
    if (validated === TIMED_OUT) return `its config schema did not settle within ${deadline.ms} ms`;
    if (!validated.ok) return validated.error;
    context.config = validated.value;
    plugin.configure(validated.value);
    return undefined;
  }

  private contextFor(name: string): PluginContext & { config: unknown } {
    const { options } = this.deps;
    return { name, logger: options.logger.child({ plugin: name }), caoHome: options.caoHome, env: options.env, config: undefined };
  }
}
