import { PLUGIN_BRAND } from "./brand.js";
import type { ConfigOf, StandardSchemaV1 } from "./standard-schema.js";

/** The logging surface a plugin receives: a pino child logger named after the plugin. */
export interface PluginLogger {
  trace(obj: unknown, msg?: string, ...args: unknown[]): void;
  debug(obj: unknown, msg?: string, ...args: unknown[]): void;
  info(obj: unknown, msg?: string, ...args: unknown[]): void;
  warn(obj: unknown, msg?: string, ...args: unknown[]): void;
  error(obj: unknown, msg?: string, ...args: unknown[]): void;
}

/** What the registry hands to `setup()` (and to definePlugin hooks as their second argument). */
export interface PluginContext<Config = unknown> {
  /** The plugin's name: its npm package name or its drop-in file/folder name. */
  readonly name: string;
  readonly logger: PluginLogger;
  /** `CAO_HOME` (default `~/.cao`): where a plugin may keep files of its own. */
  readonly caoHome: string;
  /** The environment the registry was given (process.env by default). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The plugin's `config:` section of `$CAO_HOME/config.yaml` (docs/contract.md#configyaml), `${VAR}`s replaced, validated by the
   * plugin's schema (its output); the raw value without a schema; undefined when the file has no section for it.
   */
  readonly config: Config;
}

/**
 * Where a plugin runs: "inline" in the server's own thread (the default, fastest), or "worker" in a worker thread of
 * its own with a heap limit, restarted if it loops, runs out of memory or dies (docs/contract.md#plugin-api). A class plugin declares
 * it as `static isolation = "worker"`, a definePlugin object as `isolation: "worker"`; the registry's per-plugin
 * setting, when given, wins over the plugin's own.
 */
export type { PluginIsolation } from "../../contract/vocabulary.js";

const silent: PluginLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Base class of class-style plugins. Subclass it, give methods `@hook("event_type")`, and optionally
 * implement `setup()` and `teardown()`. The registry instantiates each plugin once.
 *
 * `static isolation = "worker"` on the subclass runs it in a worker thread (see PluginIsolation). It is not declared
 * here on purpose: a declaration would make every subclass write `static override isolation = "worker" as const`.
 *
 * A plugin with settings declares their schema twice, once for the registry and once for the type checker:
 * `class Mine extends CaoPlugin<typeof Settings> { static configSchema = Settings; … }` — `this.config` is then the
 * schema's output type. (A static member cannot type an instance member, hence the type argument.)
 */
export class CaoPlugin<Schema extends StandardSchemaV1 | undefined = undefined> {
  static {
    // The brand sits on the prototype so that subclasses and instances carry it; never enumerable.
    Object.defineProperty(CaoPlugin.prototype, PLUGIN_BRAND, { value: true });
  }

  /** Replaced by the registry before `setup()` with a logger named after the plugin. */
  logger: PluginLogger = silent;

  /** Set by the registry before `setup()`: the validated config (see PluginContext.config). */
  config: ConfigOf<Schema> = undefined as ConfigOf<Schema>;

  async setup(_context: PluginContext<ConfigOf<Schema>>): Promise<void> {}

  async teardown(): Promise<void> {}
}
