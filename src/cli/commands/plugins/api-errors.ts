import { ApiError } from "../../../clients/api-client.js";
import { CommandError } from "../../usage.js";

/**
 * The plugin management routes' refusals in the CLI's words: 404 → "no plugin named X", 409 → the server's reason (why the plugin
 * failed to load). Both exit 1; anything else is rethrown for main's handling.
 */
export async function withPluginErrors<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new CommandError(`no plugin named ${name}`);
    if (error instanceof ApiError && error.status === 409) throw new CommandError(`${name}: ${error.detail}`);
    throw error;
  }
}
