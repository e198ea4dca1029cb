import type { Logger } from "pino";
import { errorMessage } from "./recognise.js";

/**
 * Keeps a plugin's stray promise rejection (a background task nobody awaited) from taking the server down:
 * Node's default for an unhandled rejection is to exit. The rejection is logged instead, as a WARN naming the
 * plugin when its stack points into a plugin's files, otherwise as an ERROR. Returns the uninstaller.
 */
export function guardUnhandledRejections(logger: Logger, pluginPaths: () => Iterable<{ name: string; path: string }>): () => void {
  const listener = (reason: unknown): void => {
    const stack = reason instanceof Error ? (reason.stack ?? "") : "";
    for (const plugin of pluginPaths()) {
      if (stack.includes(plugin.path)) {
        logger.warn({ plugin: plugin.name, err: reason }, `plugin "${plugin.name}" left a promise rejection unhandled: ${errorMessage(reason)}`);
        return;
      }
    }
    logger.error({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
  };
  process.on("unhandledRejection", listener);
  return () => {
    process.off("unhandledRejection", listener);
  };
}
