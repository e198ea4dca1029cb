/**
 * A per-launch settings layer for Qwen Code. Qwen has no flag that layers settings for one run (0.24.4: only
 * `--mcp-config`), and its hooks live in settings files. Of its four layers (system defaults, user, workspace,
 * system), the lowest, "system defaults", is the one an installation seldom has: QWEN_CODE_SYSTEM_DEFAULTS_PATH
 * points it at a file under $CAO_HOME/runtime/<id>/ for this agent only. Hook lists are concatenated across layers,
 * so the user's and the project's own hooks still run; an administrator's system-defaults file, when there is one,
 * is carried into CAO's with its hooks kept.
 */
import fs from "node:fs";
import path from "node:path";
import { qwenCommandHooks } from "./hook-dialects/qwen.js";
import { parseJsonc } from "./jsonc.js";
import type { HookEndpoint, LaunchContext, LaunchFile } from "./provider.js";

export const QWEN_DEFAULTS_VARIABLE = "QWEN_CODE_SYSTEM_DEFAULTS_PATH";

/** Where Qwen reads its system defaults without CAO: the variable, else system-defaults.json beside the system file. */
export function qwenSystemDefaultsPath(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[QWEN_DEFAULTS_VARIABLE];
  if (own) return own;
  const system = env.QWEN_CODE_SYSTEM_SETTINGS_PATH || "/etc/qwen-code/settings.json";
  return path.join(path.dirname(system), "system-defaults.json");
}

/** The file's settings; {} when there is none (the usual case) or Qwen itself would reject it. */
function readSettings(file: string): Record<string, unknown> {
  try {
    return parseJsonc(fs.readFileSync(file, "utf8")) ?? {};
  } catch {
    return {};
  }
}

export function qwenHookLayer(
  context: Pick<LaunchContext, "caoHome" | "terminalId">,
  endpoint: HookEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): { env: Record<string, string>; file: LaunchFile } {
  const file = path.join(context.caoHome, "runtime", context.terminalId, "qwen-system-defaults.json");
  const defaults = readSettings(qwenSystemDefaultsPath(env));
  const theirs = (typeof defaults.hooks === "object" && defaults.hooks !== null ? defaults.hooks : {}) as Record<
    string,
    unknown
  >;
  const hooks: Record<string, unknown> = { ...theirs };
  for (const [event, groups] of Object.entries(qwenCommandHooks(endpoint)))
    hooks[event] = [...(Array.isArray(theirs[event]) ? (theirs[event] as unknown[]) : []), ...(groups as unknown[])];
  return {
    env: { [QWEN_DEFAULTS_VARIABLE]: file },
    file: { path: file, content: JSON.stringify({ ...defaults, hooks }, null, 2) },
  };
}
