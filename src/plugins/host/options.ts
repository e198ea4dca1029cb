import path from "node:path";
import type { Logger } from "pino";
import { flag, pathList, positiveInt } from "../../util/env.js";
import { CaoPaths } from "../../util/paths.js";
import { createLogger } from "../../util/logger.js";

/** Per-plugin settings (docs/contract.md#configyaml's `plugins.<name>` section; until the config file exists, given as an option). */
export interface PluginSettings {
  /** false: discovered and listed as "disabled", never imported (default true). */
  enabled?: boolean;
  /** "worker" runs the plugin in its own worker thread (docs/contract.md#plugin-api); default "inline". */
  isolation?: "inline" | "worker";
  /** The plugin's `config:` value, validated by its schema (docs/contract.md#configyaml). */
  config?: unknown;
}

export interface RegistryOptions {
  /** The config file (docs/contract.md#configyaml); default CAO_CONFIG, else `$CAO_HOME/config.yaml`. */
  configFile?: string;
  /** Settings per plugin name (enabled, isolation, config). */
  plugins?: Record<string, PluginSettings>;
  /** Environment to read CAO_* variables from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where `<cwd>/node_modules` is looked for (default process.cwd()). */
  cwd?: string;
  /** Hot reload of the drop-in directory (default true). */
  watch?: boolean;
  logger?: Logger;
  /** Each plugin's import + setup() must settle within this (default 10 s, env CAO_PLUGIN_SETUP_TIMEOUT_MS). */
  setupTimeoutMs?: number;
  /** Each plugin's teardown() must settle within this (default 5 s, env CAO_PLUGIN_TEARDOWN_TIMEOUT_MS). */
  teardownTimeoutMs?: number;
  /** Each handler call must settle within this (default 10 s, env CAO_PLUGIN_HANDLER_TIMEOUT_MS). */
  handlerTimeoutMs?: number;
  /** Old-space heap limit of each worker plugin's thread, in MB (default 128, env CAO_PLUGIN_WORKER_HEAP_MB). */
  workerHeapMb?: number;
  /** A worker plugin that dies this many times within `workerDeathWindowMs` is failed (default 3). */
  workerDeathLimit?: number;
  /** The window of `workerDeathLimit` (default 60 s). */
  workerDeathWindowMs?: number;
  /** Each interceptor call must answer within this (default 2 s, env CAO_PLUGIN_INTERCEPT_TIMEOUT_MS). */
  interceptTimeoutMs?: number;
  /** Events waiting per plugin before new ones are dropped (default 10,000, env CAO_PLUGIN_QUEUE_LIMIT). */
  queueLimit?: number;
  /** Quiet time after a file change before it is reloaded, coalescing editors' multi-step saves (default 25 ms). */
  reloadDebounceMs?: number;
  /** Log, instead of crash on, unhandled rejections while plugins are loaded (default true). */
  guardUnhandledRejections?: boolean;
  /**
   * Contain plugin code: track which plugin runs (AsyncLocalStorage), survive with a WARN the uncaught exceptions of
   * its timers, sockets and emitters (other uncaught exceptions still end the process), and refuse its process.exit().
   * Default false, because it changes process-wide behaviour and, on Node 20, costs every promise of the process a
   * hook call; `cao server` turns it on.
   */
  guardUncaughtExceptions?: boolean;
}

export interface ResolvedOptions {
  /** The settings in force per plugin: kept up to date, in place, with config.yaml while the server runs. */
  plugins: Record<string, PluginSettings>;
  configFile: string;
  env: Record<string, string | undefined>;
  cwd: string;
  caoHome: string;
  pluginsDir: string;
  extraNodeModules: string[];
  disabled: boolean;
  watch: boolean;
  logger: Logger;
  setupTimeoutMs: number;
  teardownTimeoutMs: number;
  handlerTimeoutMs: number;
  workerHeapMb: number;
  workerDeathLimit: number;
  workerDeathWindowMs: number;
  interceptTimeoutMs: number;
  queueLimit: number;
  reloadDebounceMs: number;
  guardUnhandledRejections: boolean;
  guardUncaughtExceptions: boolean;
}

export const DEFAULTS = {
  setupTimeoutMs: 10_000,
  teardownTimeoutMs: 5_000,
  handlerTimeoutMs: 10_000,
  interceptTimeoutMs: 2_000,
  queueLimit: 10_000,
  reloadDebounceMs: 25,
  workerHeapMb: 128,
  workerDeathLimit: 3,
  workerDeathWindowMs: 60_000,
} as const;

export function resolveOptions(options: RegistryOptions = {}): ResolvedOptions {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ env });
  const paths = new CaoPaths(env);
  const number = (explicit: number | undefined, variable: string, fallback: number): number =>
    explicit !== undefined
      ? positive(explicit, variable, fallback, logger)
      : positiveInt(env, variable, fallback, logger);
  return {
    plugins: { ...options.plugins },
    configFile: path.resolve(options.configFile ?? paths.config),
    env,
    cwd: path.resolve(options.cwd ?? process.cwd()),
    caoHome: paths.home,
    pluginsDir: paths.plugins,
    extraNodeModules: pathList(env, "CAO_PLUGIN_PATHS"),
    disabled: flag(env, "CAO_DISABLE_PLUGINS"),
    watch: options.watch ?? true,
    logger,
    setupTimeoutMs: number(options.setupTimeoutMs, "CAO_PLUGIN_SETUP_TIMEOUT_MS", DEFAULTS.setupTimeoutMs),
    teardownTimeoutMs: number(options.teardownTimeoutMs, "CAO_PLUGIN_TEARDOWN_TIMEOUT_MS", DEFAULTS.teardownTimeoutMs),
    handlerTimeoutMs: number(options.handlerTimeoutMs, "CAO_PLUGIN_HANDLER_TIMEOUT_MS", DEFAULTS.handlerTimeoutMs),
    workerHeapMb: number(options.workerHeapMb, "CAO_PLUGIN_WORKER_HEAP_MB", DEFAULTS.workerHeapMb),
    workerDeathLimit: options.workerDeathLimit ?? DEFAULTS.workerDeathLimit,
    workerDeathWindowMs: options.workerDeathWindowMs ?? DEFAULTS.workerDeathWindowMs,
    interceptTimeoutMs: number(
      options.interceptTimeoutMs,
      "CAO_PLUGIN_INTERCEPT_TIMEOUT_MS",
      DEFAULTS.interceptTimeoutMs,
    ),
    queueLimit: number(options.queueLimit, "CAO_PLUGIN_QUEUE_LIMIT", DEFAULTS.queueLimit),
    reloadDebounceMs: options.reloadDebounceMs ?? DEFAULTS.reloadDebounceMs,
    guardUnhandledRejections: options.guardUnhandledRejections ?? true,
    guardUncaughtExceptions: options.guardUncaughtExceptions ?? false,
  };
}

/** An explicit option (registry options, not the environment): a positive number, floored. */
function positive(value: number, name: string, fallback: number, logger: Logger): number {
  if (Number.isFinite(value) && value > 0) return Math.floor(value);
  logger.warn(`${name} must be a positive number, got ${JSON.stringify(value)}; using ${fallback}`);
  return fallback;
}
