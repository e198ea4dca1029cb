import type { LaunchContext, LaunchPlan, McpServerConfig, Provider, TerminalStatus } from "./provider.js";
import { answerBlock, bottom, lastAfterUser, lastIndexMatching, mcpServersFor, screenLines, tailLooksIdle, tomlString, type Transcript } from "./screen-text.js";

/*
 * Codex's TUI (run with --no-alt-screen, so the transcript stays in the pane's scrollback), bottom-up: a footer
 * ("? for shortcuts", "NN% context left"), the composer line starting with `›` (holding dimmed placeholder text
 * when empty, which a capture cannot tell from typed text), while working a "• Working (12s • esc to interrupt)"
 * line, and above it the transcript: the user's message after `›`, then `•` blocks — tool activity ("• Ran …",
 * "• Explored", "• Edited …", "• Called …") and text answers — and `■` error lines. An approval is a numbered
 * menu with a `›` cursor and "Press enter to confirm or esc to cancel".
 */
const COMPOSER = /^›(?:\s|$)/;
const FOOTER = /\? for shortcuts|\d+%\s+(?:context\s+)?left|context\s+\d+%\s+left/i;
const USER_MESSAGE = /^›\s+\S/;
const BLOCK = /^(?:•|■)\s/;
const TOOL_BLOCK = /^•\s+(?:Ran|Explored|Edited|Called|Read|Searched|Updated Plan|Waited|Working|Added|Deleted)\b/;
const MENU_CURSOR = /^\s*›\s*\d+\.\s+\S/;
const MENU_QUESTION = /Press enter to confirm|Would you like to (?:run|make|grant)|Do you want to approve|Approve app tool call/;

interface Screen extends Transcript {
  hasComposer: boolean;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  const footer = lastIndexMatching(lines, FOOTER);
  const composer = lastIndexMatching(lines, COMPOSER, footer < 0 ? lines.length : footer);
  if (composer < 0 || footer < 0) return { lines, transcript: lines, lastUser: -1, hasComposer: false };
  const transcript = lines.slice(0, composer);
  return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), hasComposer: true };
}

function lastAnswerStart(screen: Screen): number {
  return lastAfterUser(screen, (line) => /^•\s+\S/.test(line) && !TOOL_BLOCK.test(line));
}

/** A TOML key: bare when it can be, quoted otherwise (so `my.server` stays one key, not a nested table). */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** `-c` overrides that give Codex one MCP server, without touching the user's ~/.codex/config.toml. */
function mcpOverrides(name: string, server: McpServerConfig): string[] {
  const prefix = `mcp_servers.${tomlKey(name)}`;
  const out = ["-c", `${prefix}.command=${tomlString(server.command)}`];
  if (server.args?.length) out.push("-c", `${prefix}.args=[${server.args.map(tomlString).join(", ")}]`);
  const env = Object.entries(server.env ?? {});
  if (env.length > 0) out.push("-c", `${prefix}.env={ ${env.map(([k, v]) => `${tomlKey(k)} = ${tomlString(v)}`).join(", ")} }`);
  return out;
}

export const codexProvider: Provider = {
  name: "codex",
  binary: "codex",
  buildLaunch(context: LaunchContext): LaunchPlan {
    const argv = [context.binaryPath, "--dangerously-bypass-approvals-and-sandbox", "--no-alt-screen"];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const prompt = context.profile.systemPrompt.trim();
    if (prompt) argv.push("-c", `developer_instructions=${tomlString(prompt)}`);
    for (const [name, server] of Object.entries(mcpServersFor(context))) argv.push(...mcpOverrides(name, server));
    return { argv };
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    // An approval menu replaces the composer and footer: its `› 1.` cursor has no footer below it. (A message the
    // user sent that starts with "1." looks the same, but the composer and footer are drawn under it.)
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    const footer = lastIndexMatching(screen.lines, FOOTER);
    if (cursor > footer && screen.lines.length - cursor <= 8 && MENU_QUESTION.test(bottom(screen.lines, 15))) {
      return "waiting_user_answer";
    }
    if (!screen.hasComposer) return "processing";
    if (screen.transcript.slice(-4).some((line) => line.includes("esc to interrupt"))) return "processing";
    if (screen.lastUser < 0) return "idle";
    const last = lastAfterUser(screen, (line) => BLOCK.test(line));
    if (last >= 0 && screen.transcript[last]!.startsWith("■")) return "error";
    return lastAnswerStart(screen) >= 0 ? "completed" : "idle";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = lastAnswerStart(screen);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Codex answer on screen after the last message");
    return answerBlock(screen, start, /^•/, /^(?:•|■|─ Worked)/);
  },
  exit: { text: "/exit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to interrupt/, /─ Worked for|■ /);
  },
  startupTimeoutMs: 60_000,
};
