import { PluginRegistry, type RegistryOptions } from "../../src/plugins/host/index.js";
import { tempDir } from "./fs-fixtures.js";
import { captureLogs, type CapturedLogs } from "./log-capture.js";

export interface StartRegistryOptions extends RegistryOptions {
  /** CAO_HOME, and the cwd whose node_modules is scanned (default a fresh temp dir); drop-ins go in `<home>/plugins`. */
  home?: string;
  /** Where the lines are captured (default a fresh capture); pass one to share it between registries. */
  logs?: CapturedLogs;
  /** Call load() before returning (default true); false for a test of what happens before it. */
  load?: boolean;
}

export interface RegistryUnderTest {
  registry: PluginRegistry;
  logs: CapturedLogs;
  home: string;
}

const started: PluginRegistry[] = [];

/**
 * A real PluginRegistry as most tests want one: its own CAO_HOME, no watcher (hot reload tests pass watch: true), the
 * log captured, load() done. `env` adds to `{ CAO_HOME: home }`; every other option is passed through as given.
 * Call stopRegistries() in afterEach, before removing temp dirs: a plugin's teardown may still write into its home.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RegistryUnderTest> {
  const { home = tempDir("cao-registry-"), logs = captureLogs(), load = true, env, ...rest } = options;
  const registry = new PluginRegistry({
    cwd: home,
    watch: false,
    logger: logs.logger,
    ...rest,
    env: { CAO_HOME: home, ...env },
  });
  started.push(registry);
  if (load) await registry.load();
  return { registry, logs, home };
}

/** Tears down every registry startRegistry() made since the last call (teardown() is idempotent, so a test may have). */
export async function stopRegistries(): Promise<void> {
  for (const registry of started.splice(0)) await registry.teardown();
}
