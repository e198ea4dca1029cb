import type { Logger } from "pino";
import { errorMessage } from "./recognise.js";

type PluginPaths = () => Iterable<{ name: string; path: string }>;

/** The plugin whose files appear in the error's stack, if any. */
function culprit(reason: unknown, pluginPaths: PluginPaths): string | undefined {
  const stack = reason instanceof Error ? (reason.stack ?? "") : "";
  for (const plugin of pluginPaths()) if (stack.includes(plugin.path)) return plugin.name;
  return undefined;
}

/**
 * Keeps a plugin's stray promise rejection (a background task nobody awaited) from taking the server down:
 * Node's default for an unhandled rejection is to exit. The rejection is logged instead, as a WARN naming the
 * plugin when its stack points into a plugin's files, otherwise as an ERROR. Returns the uninstaller.
 */
export function guardUnhandledRejections(logger: Logger, pluginPaths: PluginPaths): () => void {
  const listener = (reason: unknown): void => {
    const name = culprit(reason, pluginPaths);
    if (name !== undefined) {
      logger.warn({ plugin: name, err: reason }, `plugin "${name}" left a promise rejection unhandled: ${errorMessage(reason)}`);
    } else {
      logger.error({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
    }
  };
  process.on("unhandledRejection", listener);
  return () => {
    process.off("unhandledRejection", listener);
  };
}

/**
 * The same for an exception thrown where nobody can catch it (a plugin's timer or event-emitter callback).
 * Only an exception whose stack points into a plugin is survived, with a WARN; anything else is CAO's own bug and
 * ends the process with exit code 1 after logging it, as Node would. Opt-in (the server turns it on): a library
 * embedding the registry should not change how its host process handles its own exceptions.
 */
export function guardUncaughtExceptions(logger: Logger, pluginPaths: PluginPaths, exit: (code: number) => void = process.exit): () => void {
  const listener = (error: Error): void => {
    const name = culprit(error, pluginPaths);
    if (name !== undefined) {
      logger.warn({ plugin: name, err: error }, `plugin "${name}" threw outside any handler: ${errorMessage(error)}`);
      return;
    }
    logger.fatal({ err: error }, `uncaught exception: ${errorMessage(error)}`);
    exit(1);
  };
  process.on("uncaughtException", listener);
  return () => {
    process.off("uncaughtException", listener);
  };
}
