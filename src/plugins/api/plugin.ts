import { PLUGIN_BRAND } from "./brand.js";

/** The logging surface a plugin receives: a pino child logger named after the plugin. */
export interface PluginLogger {
  trace(obj: unknown, msg?: string, ...args: unknown[]): void;
  debug(obj: unknown, msg?: string, ...args: unknown[]): void;
  info(obj: unknown, msg?: string, ...args: unknown[]): void;
  warn(obj: unknown, msg?: string, ...args: unknown[]): void;
  error(obj: unknown, msg?: string, ...args: unknown[]): void;
}

/** What the registry hands to `setup()` (and to definePlugin hooks as their second argument). */
export interface PluginContext {
  /** The plugin's name: its npm package name or its drop-in file/folder name. */
  readonly name: string;
  readonly logger: PluginLogger;
  /** `CAO_HOME` (default `~/.cao`): where a plugin may keep files of its own. */
  readonly caoHome: string;
  /** The environment the registry was given (process.env by default). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Where a plugin runs: "inline" in the server's own thread (the default, fastest), or "worker" in a worker thread of
 * its own with a heap limit, restarted if it loops, runs out of memory or dies (DESIGN §14). A class plugin declares
 * it as `static isolation = "worker"`, a definePlugin object as `isolation: "worker"`; the registry's per-plugin
 * setting, when given, wins over the plugin's own.
 */
export type PluginIsolation = "inline" | "worker";

const silent: PluginLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Base class of class-style plugins. Subclass it, give methods `@hook("event_type")`, and optionally
 * implement `setup()` and `teardown()`. The registry instantiates each plugin once.
 *
 * `static isolation = "worker"` on the subclass runs it in a worker thread (see PluginIsolation). It is not declared
 * here on purpose: a declaration would make every subclass write `static override isolation = "worker" as const`.
 */
export class CaoPlugin {
  static {
    // The brand sits on the prototype so that subclasses and instances carry it; never enumerable.
    Object.defineProperty(CaoPlugin.prototype, PLUGIN_BRAND, { value: true });
  }

  /** Replaced by the registry before `setup()` with a logger named after the plugin. */
  logger: PluginLogger = silent;

  async setup(_context: PluginContext): Promise<void> {}

  async teardown(): Promise<void> {}
}
