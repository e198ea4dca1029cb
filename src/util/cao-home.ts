import os from "node:os";
import path from "node:path";

/** `CAO_HOME` (default `~/.cao`): where all of CAO's state lives (DESIGN §3). */
export function caoHomeFrom(env: Record<string, string | undefined>): string {
  return path.resolve(env.CAO_HOME || path.join(os.homedir(), ".cao"));
}

/** `CAO_PLUGINS_DIR` (default `$CAO_HOME/plugins`): the drop-in plugin directory (DESIGN §3). */
export function pluginsDirFrom(env: Record<string, string | undefined>): string {
  return path.resolve(env.CAO_PLUGINS_DIR || path.join(caoHomeFrom(env), "plugins"));
}
