import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";

/** A plugin's name and where its files are (a drop-in file, a drop-in folder or an npm package directory). */
export interface PluginLocation {
  name: string;
  /** The file that was imported. */
  entry: string;
  /** The drop-in file or folder, or the package directory. */
  path: string;
}

/**
 * Knows which plugin a piece of running code belongs to, for the process-level handlers that have nothing else to go
 * on (an uncaught exception, an unhandled rejection, a call to process.exit).
 *
 * With tracking on, the registry runs every piece of a plugin's own code (import, recognise, setup, teardown, a run of
 * its queue's delivery loop) inside an AsyncLocalStorage holding the plugin's name; every timer, socket, emitter
 * callback and promise created from there carries the name, also after awaits and through libraries. Node 20 pays
 * for AsyncLocalStorage with a hook on every promise of the process, so tracking is on only where the process belongs
 * to CAO (`cao server`); without it `run` just calls, and attribution falls back to the stack.
 */
export class PluginScope {
  readonly tracking: boolean;
  private readonly storage: AsyncLocalStorage<string> | undefined;
  private readonly plugins: () => Iterable<PluginLocation>;

  constructor(tracking: boolean, plugins: () => Iterable<PluginLocation>) {
    this.tracking = tracking;
    this.storage = tracking ? new AsyncLocalStorage<string>() : undefined;
    this.plugins = plugins;
  }

  run<T>(name: string, fn: () => T): T {
    return this.storage ? this.storage.run(name, fn) : fn();
  }

  /** The plugin whose code (or whose timer, socket, emitter or promise) is running now, if tracking knows. */
  current(): string | undefined {
    return this.storage?.getStore();
  }

  /** The plugin to blame for `error` raised here: the running context first, then the first plugin file in its stack. */
  culprit(error: unknown): string | undefined {
    const current = this.current();
    if (current !== undefined) return current;
    const stack = error instanceof Error ? error.stack : undefined;
    return stack ? this.inStack(stack) : undefined;
  }

  /** The first plugin whose files appear in `stack`. */
  inStack(stack: string): string | undefined {
    for (const plugin of this.plugins()) {
      // A file shows as `<file>:<line>`; a folder or package by any file under it. The separator keeps plugin
      // "a" from claiming the frames of "ab.ts".
      const marker = plugin.entry === plugin.path ? `${plugin.path}:` : plugin.path + path.sep;
      if (stack.includes(marker)) return plugin.name;
    }
    return undefined;
  }

  /** Stops tracking (the registry is gone); code still running from its plugins is no longer attributed. */
  dispose(): void {
    this.storage?.disable();
  }
}

/** The caller's stack, deep enough to reach a plugin's frame below a few library frames. */
export function callerStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  try {
    return new Error("caller").stack ?? "";
  } finally {
    Error.stackTraceLimit = limit;
  }
}
