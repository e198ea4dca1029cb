/**
 * A per-launch Gemini CLI home. Gemini CLI takes MCP servers (and hooks) only from settings files, and none of them
 * can be given per launch as it stands (0.61): the file named by GEMINI_CLI_SYSTEM_SETTINGS_PATH is skipped unless
 * it and every directory above it belong to root and are not group- or other-writable (so never for a normal user),
 * the workspace file lives in the user's project, and ~/.gemini/settings.json is the user's own. GEMINI_CLI_HOME
 * moves ~/.gemini as a whole, so CAO points it at $CAO_HOME/runtime/<id>/gemini-home, whose .gemini holds the user's
 * settings with CAO's layer on top, and a link to every other entry of the user's ~/.gemini (credentials, chats,
 * GEMINI.md, commands, extensions, trusted folders): the agent is the user's Gemini, plus what CAO adds.
 */
import fs from "node:fs";
import path from "node:path";
import { parseJsonc } from "./jsonc.js";
import type { LaunchContext, LaunchFile, LaunchLink } from "./provider.js";

export interface GeminiHome {
  /** The value for GEMINI_CLI_HOME. */
  home: string;
  files: LaunchFile[];
  links: LaunchLink[];
}

export interface GeminiLayer {
  /** Added to the user's `mcpServers` (a server of the same name is replaced). */
  mcpServers: Record<string, unknown>;
  /** A context file of CAO's (the profile's instructions), loaded after the user's own GEMINI.md. */
  contextFile?: { name: string; content: string };
  /**
   * CAO's hook entries, by event, run beside the user's own; `variables` are those its hook command reads, kept in the
   * hooks' environment should the user have Gemini redact variables (it would drop CAO_HOOK_TOKEN by its name).
   */
  hooks?: { entries: Record<string, unknown[]>; variables: string[] };
}

const GEMINI_DIR = ".gemini";
const SETTINGS = "settings.json";

export function perLaunchGeminiHome(
  context: Pick<LaunchContext, "caoHome" | "terminalId" | "homeDir">,
  layer: GeminiLayer,
): GeminiHome {
  const home = path.join(context.caoHome, "runtime", context.terminalId, "gemini-home");
  const dir = path.join(home, GEMINI_DIR);
  const userDir = path.join(context.homeDir, GEMINI_DIR);
  const user = readSettings(path.join(userDir, SETTINGS));
  const settings: Record<string, unknown> = {
    ...user,
    mcpServers: { ...record(user.mcpServers), ...layer.mcpServers },
  };
  if (layer.hooks) Object.assign(settings, withHooks(user, layer.hooks));
  const files: LaunchFile[] = [];
  if (layer.contextFile) {
    const userContext = record(user.context);
    const names = userContext.fileName ?? "GEMINI.md";
    settings.context = {
      ...userContext,
      fileName: [...(Array.isArray(names) ? names : [names]), layer.contextFile.name],
    };
    files.push({ path: path.join(dir, layer.contextFile.name), content: layer.contextFile.content });
  }
  files.unshift({ path: path.join(dir, SETTINGS), content: JSON.stringify(settings, null, 2) });
  const own = new Set(files.map((f) => path.basename(f.path)));
  const links = entries(userDir)
    .filter((name) => !own.has(name))
    .map((name) => ({ path: path.join(dir, name), target: path.join(userDir, name) }));
  // Skills in ~/.agents are found through the same home.
  const agents = path.join(context.homeDir, ".agents");
  if (fs.existsSync(agents)) links.push({ path: path.join(home, ".agents"), target: agents });
  return { home, files, links };
}

/**
 * The settings keys that run CAO's hooks: its entries after the user's for each event. A user who switched hooks off
 * (`hooksConfig.enabled: false`) keeps theirs off: CAO's alone run, the hook system on for them.
 */
function withHooks(user: Record<string, unknown>, hooks: NonNullable<GeminiLayer["hooks"]>): Record<string, unknown> {
  const hooksConfig = record(user.hooksConfig);
  const userOff = hooksConfig.enabled === false;
  const merged: Record<string, unknown> = userOff ? {} : { ...record(user.hooks) };
  for (const [event, entries] of Object.entries(hooks.entries))
    merged[event] = [...(Array.isArray(merged[event]) ? merged[event] : []), ...entries];
  const security = record(user.security);
  const redaction = record(security.environmentVariableRedaction);
  const allowed = Array.isArray(redaction.allowed) ? redaction.allowed : [];
  return {
    hooks: merged,
    ...(userOff ? { hooksConfig: { ...hooksConfig, enabled: true } } : {}),
    security: {
      ...security,
      environmentVariableRedaction: { ...redaction, allowed: [...allowed, ...hooks.variables] },
    },
  };
}

function readSettings(file: string): Record<string, unknown> {
  try {
    return parseJsonc(fs.readFileSync(file, "utf8")) ?? {};
  } catch {
    return {}; // no user settings yet
  }
}

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
