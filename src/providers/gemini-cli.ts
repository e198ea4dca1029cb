import path from "node:path";
import type { LaunchContext, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import { answerBlock, bottom, lastAfterUser, lastIndexMatching, mcpServersFor, screenLines, tailLooksIdle, type Transcript } from "./screen-text.js";

/*
 * Gemini CLI's TUI, bottom-up: a status bar (cwd, sandbox, model), the input box (`│ >   Type your message or
 * @path/to/file │` when empty; newer versions draw it between bars of `▄` and `▀`, with `*` for `>` in YOLO mode), while working a braille spinner line "⠏ Thinking… (esc to cancel, 8s)", and the
 * transcript above: the user's message in its own box (`│ > text │`), answers starting with `✦`, tool calls in
 * `╭─╮` boxes, errors starting with `✕`. A confirmation is a box with a numbered menu and a `●` cursor.
 */
const PLACEHOLDER = /Type your message/;
const BOX_TOP = /^(?:╭─|▄{10,})/;
const USER_MESSAGE = /^(?:│\s*|\s?)>\s+\S/;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏].*\(esc to cancel/;
const MENU_CURSOR = /^[│\s]*●\s*\d+\.\s/;
const MENU_QUESTION = /Allow execution|Apply this change\?|Do you want to|Allow\b/;

interface Screen extends Transcript {
  hasPrompt: boolean;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  const prompt = lastIndexMatching(lines, PLACEHOLDER);
  if (prompt < 0) return { lines, transcript: lines, lastUser: -1, hasPrompt: false };
  const top = lastIndexMatching(lines, BOX_TOP, prompt);
  const transcript = lines.slice(0, top < 0 ? prompt : top);
  return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), hasPrompt: true };
}

function last(screen: Screen, pattern: RegExp): number {
  return lastAfterUser(screen, (line) => pattern.test(line));
}

export const geminiCliProvider: Provider = {
  name: "gemini_cli",
  binary: "gemini",
  buildLaunch(context: LaunchContext): LaunchPlan {
    // Gemini reads MCP servers from settings files; the system-settings path is the one a launcher may point
    // anywhere (GEMINI_CLI_SYSTEM_SETTINGS_PATH), so the user's ~/.gemini/settings.json is never written.
    const settings = path.join(context.caoHome, "runtime", context.terminalId, "gemini-settings.json");
    const servers = Object.fromEntries(
      Object.entries(mcpServersFor(context)).map(([name, server]) => [name, name === "cao-mcp-server" ? { ...server, trust: true } : server]),
    );
    const argv = [context.binaryPath, "--yolo"];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const prompt = context.profile.systemPrompt.trim();
    if (prompt) argv.push("--prompt-interactive", `Adopt these instructions for the rest of this session, then reply "Ready.":\n\n${prompt}`);
    return { argv, env: { GEMINI_CLI_SYSTEM_SETTINGS_PATH: settings }, files: [{ path: settings, content: JSON.stringify({ mcpServers: servers }, null, 2) }] };
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    const region = bottom(screen.lines, 16);
    // A confirmation box is drawn in place of the input box: its `● 1.` cursor is below any input placeholder.
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    if (cursor > lastIndexMatching(screen.lines, PLACEHOLDER) && screen.lines.length - cursor <= 8 && MENU_QUESTION.test(region)) {
      return "waiting_user_answer";
    }
    if (SPINNER.test(region)) return "processing";
    if (!screen.hasPrompt) return "processing";
    if (screen.lastUser < 0) return "idle";
    const answer = last(screen, /^✦\s/);
    const error = last(screen, /^✕\s/);
    if (error > answer) return "error";
    return answer >= 0 ? "completed" : "idle";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = last(screen, /^✦\s/);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Gemini answer on screen after the last message");
    // Stops at the next block, a box, or a right-aligned hint such as "YOLO mode (ctrl + y to toggle)".
    return answerBlock(screen, start, /^✦/, /^(?:✦|✕|╭─|▄{10,}|\s{20,}\S)/);
  },
  exit: { text: "/quit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to cancel/, /Type your message/);
  },
  startupTimeoutMs: 60_000,
};
