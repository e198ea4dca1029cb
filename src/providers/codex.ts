import { codexDialect, codexHookOverrides } from "./hook-dialects/codex.js";
import type { LaunchContext, LaunchPlan, McpServerConfig, Provider, TerminalStatus } from "./provider.js";
import {
  answerBlock,
  bottom,
  lastAfterUser,
  lastIndexMatching,
  mcpServersFor,
  screenLines,
  tailLooksIdle,
  tomlString,
  type Transcript,
} from "./screen-text.js";
import { allowedToolsOf, CODEX_TOOL_NAMES } from "./native-tool-names.js";
import { codexPermissionArgs } from "./permission-flags.js";

/*
 * Codex's TUI (run with --no-alt-screen, so the transcript stays in the pane's scrollback), bottom-up: a footer
 * ("← for agents · ? for shortcuts", on older versions "NN% context left") under a status line (model · directory ·
 * thread title), the composer line starting with `›` (holding dimmed placeholder text when empty, which a capture
 * cannot tell from typed text), while waiting for the model a "• Working (12s • esc to interrupt)" line, and above
 * it the transcript: the user's message after `›`, then `•` blocks — tool activity ("• Ran …", "• Called …") and
 * text answers — `■` error lines, and once a turn is over a "Worked for 3s • 18:35" line. That last line is the
 * only sign a turn has ended: while an answer streams Codex hides the Working line, so a half-written answer looks
 * just like a finished one until it comes. An approval or the folder-trust screen is a numbered menu with a `›`
 * cursor and no footer under it. (Layout of 0.169.0; docs/providers/codex.md.)
 */
const COMPOSER = /^›(?:\s|$)/;
const FOOTER = /\? for shortcuts|\d+%\s+(?:context\s+)?left|context\s+\d+%\s+left/i;
const USER_MESSAGE = /^›\s+\S/;
const BLOCK = /^(?:•|■)\s/;
/**
 * Tool activity: "• Ran cmd" / "• Called server.tool(…)" / "• Explored" with its result under a `└`, or a patch
 * summary "• Edited src/a.ts (+1 -1)". The verb alone is not enough: an answer may well start "Added the flag…".
 */
const TOOL_VERB =
  /^•\s+(?:Ran|Running|Explored|Exploring|Edited|Called|Calling|Read|Searched|Updated Plan|Waited|Waiting|Working|Added|Deleted)\b/;
const TOOL_RESULT = /^\s+└/;
const PATCH_SUMMARY = /\(\+\d+ -\d+\)$/;
/** The end of a turn: "Worked for 3s • 18:35" (0.169), "─ Worked for 41s ───" (older versions). */
const TURN_END = /^\s*(?:─\s+)?Worked for\b/;
const MENU_CURSOR = /^\s*›\s*\d+\.\s+\S/;
const MENU_QUESTION =
  /Press enter to confirm|Would you like to (?:run|make|grant)|Do you want to approve|Approve app tool call|Trust this folder\?|Hooks need review/;
/**
 * The one first-launch screen CAO answers: the trust of the working directory it was told to use (shown for a git
 * repository Codex has not seen, even with the bypass flag). Codex saves the answer in the user's config.toml
 * (`[projects."<dir>"] trust_level`); a `-c projects…` override does not stand in for it. Not "Hooks need review":
 * whether the user's own hooks may run is the user's call.
 */
const TRUST_DIALOG = /Trust this folder\?/;
const TRUST_CHOICE = /^\s*›\s*\d+\.\s+Trust and continue/;

/**
 * Per launch, so that an orchestrated agent neither phones home nor outlives its terminal, whatever the user's own
 * config says: no background app-server daemon (the TUI otherwise starts a detached `codex app-server
 * --managed-daemon` that survives the window), no update check, no analytics, and none of the plugin and app
 * features whose startup sync reaches github.com.
 */
const OFFLINE_SWITCHES = [
  "--no-daemon",
  "-c",
  "check_for_update_on_startup=false",
  "-c",
  "analytics.enabled=false",
  ...["plugins", "apps", "remote_plugin", "plugin_sharing"].flatMap((feature) => ["-c", `features.${feature}=false`]),
];

interface Screen extends Transcript {
  hasComposer: boolean;
  /** The placeholder screen Codex paints before its session is up (see `starting`). */
  starting: boolean;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  const footer = lastIndexMatching(lines, FOOTER);
  const composer = lastIndexMatching(lines, COMPOSER, footer < 0 ? lines.length : footer);
  if (composer < 0 || footer < 0)
    return { lines, transcript: lines, lastUser: -1, hasComposer: false, starting: false };
  const transcript = lines.slice(0, composer);
  // Before its session is configured Codex paints a composer with a bare "? for shortcuts" footer and no status
  // line (model · directory) between them; a moment later that becomes the real prompt, or the folder-trust
  // screen. Read as idle, a message typed then would land in the trust screen.
  const starting =
    lines[footer]!.trim() === "? for shortcuts" &&
    lines.slice(composer + 1, footer).every((line) => line.trim() === "");
  return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), hasComposer: true, starting };
}

/** Tool activity, or the Working line: not an answer. */
function isToolBlock(transcript: readonly string[], index: number): boolean {
  const line = transcript[index]!;
  if (line.includes("esc to interrupt")) return true; // the Working line, drawn where blocks are
  return TOOL_VERB.test(line) && (TOOL_RESULT.test(transcript[index + 1] ?? "") || PATCH_SUMMARY.test(line));
}

function lastAnswerStart(screen: Screen): number {
  return lastAfterUser(screen, (line, i) => /^•\s+\S/.test(line) && !isToolBlock(screen.transcript, i));
}

/** A TOML key: bare when it can be, quoted otherwise (so `my.server` stays one key, not a nested table). */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** `-c` overrides that give Codex one MCP server, without touching the user's ~/.codex/config.toml. */
function mcpOverrides(name: string, server: McpServerConfig, approved: boolean): string[] {
  const prefix = `mcp_servers.${tomlKey(name)}`;
  const out = ["-c", `${prefix}.command=${tomlString(server.command)}`];
  // Codex asks before each MCP tool call; a server on the agent's tool list is approved up front, so the tools CAO
  // allows run without a question (under approval "never", an unapproved one fails back to the model).
  if (approved) out.push("-c", `${prefix}.default_tools_approval_mode="approve"`);
  if (server.args?.length) out.push("-c", `${prefix}.args=[${server.args.map(tomlString).join(", ")}]`);
  const env = Object.entries(server.env ?? {});
  if (env.length > 0)
    out.push("-c", `${prefix}.env={ ${env.map(([k, v]) => `${tomlKey(k)} = ${tomlString(v)}`).join(", ")} }`);
  return out;
}

export const codexProvider: Provider = {
  name: "codex",
  binary: "codex",
  hookDialect: codexDialect,
  toolNames: CODEX_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    // The bypass only for an unrestricted agent (docs/tool-restrictions.md); Codex accepts it as root and asks no
    // confirmation for it.
    const argv = [context.binaryPath, ...codexPermissionArgs(context), "--no-alt-screen", ...OFFLINE_SWITCHES];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const prompt = context.profile.systemPrompt.trim();
    if (prompt) argv.push("-c", `developer_instructions=${tomlString(prompt)}`);
    const allowed = allowedToolsOf(context);
    for (const [name, server] of Object.entries(mcpServersFor(context)))
      argv.push(...mcpOverrides(name, server, allowed.includes("*") || allowed.includes(`@${name}`)));
    if (context.hooks) argv.push(...codexHookOverrides(context.hooks));
    return { argv };
  },
  firstLaunchNotice:
    'Codex records each folder CAO trusts for it in ~/.codex/config.toml ([projects."<dir>"] trust_level = "trusted"), as it does when you answer its trust screen yourself',
  firstLaunchKeys(screenText: string): string[] | undefined {
    const lines = screenLines(screenText);
    const cursor = lastIndexMatching(lines, MENU_CURSOR);
    if (!TRUST_DIALOG.test(bottom(lines, 15)) || cursor < 0 || lines.length - cursor > 6) return undefined;
    return TRUST_CHOICE.test(lines[cursor]!) ? ["Enter"] : ["Up"];
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    // A menu replaces the composer and footer: its `› 1.` cursor has no footer below it. (A message the user sent
    // that starts with "1." looks the same, but the composer and footer are drawn under it.)
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    const footer = lastIndexMatching(screen.lines, FOOTER);
    if (cursor > footer && screen.lines.length - cursor <= 8 && MENU_QUESTION.test(bottom(screen.lines, 15))) {
      return "waiting_user_answer";
    }
    if (!screen.hasComposer || screen.starting) return "processing";
    if (screen.transcript.slice(-4).some((line) => line.includes("esc to interrupt"))) return "processing";
    if (screen.lastUser < 0) return "idle";
    const last = lastAfterUser(screen, (line) => BLOCK.test(line));
    if (last >= 0 && screen.transcript[last]!.startsWith("■")) return "error";
    const turnEnd = lastAfterUser(screen, (line) => TURN_END.test(line));
    // No end-of-turn line after the last block: the turn is still running (an answer streaming, a tool at work).
    if (turnEnd < last || turnEnd < 0) return "processing";
    return lastAnswerStart(screen) >= 0 ? "completed" : "idle";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = lastAnswerStart(screen);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Codex answer on screen after the last message");
    return answerBlock(screen, start, /^•/, /^(?:•|■)|^\s*(?:─\s+)?Worked for\b/);
  },
  exit: { text: "/exit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to interrupt/, /Worked for|■ /);
  },
  startupTimeoutMs: 60_000,
};
