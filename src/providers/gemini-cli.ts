import path from "node:path";
import { perLaunchGeminiHome } from "./gemini-home.js";
import { caoHookVariables } from "./hook-dialects/command-hook.js";
import { geminiCommandHooks, geminiDialect } from "./hook-dialects/gemini.js";
import type { LaunchContext, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import {
  answerBlock,
  bottom,
  lastAfterUser,
  lastIndexMatching,
  mcpServersFor,
  screenLines,
  tailLooksIdle,
  type Transcript,
} from "./screen-text.js";
import { GEMINI_TOOL_NAMES } from "./native-tool-names.js";
import { geminiPermissions } from "./permission-flags.js";

/*
 * Gemini CLI's TUI (0.61), bottom-up: a status bar (workspace, sandbox, model), the input line (`*   Type your
 * message or @path/to/file` when empty in YOLO mode, `>` otherwise; the text typed so far once there is some), in
 * some terminals between bars of `▄` and `▀`, above it a mode line ("YOLO Ctrl+Y … 1 MCP server") under a
 * full-width rule of `─`, and right above the rule a braille spinner line while it works ("⠙ Thinking... (esc to
 * cancel, 2s)"). Above that the transcript: the user's message (` > text`, continuation lines indented), answers
 * starting with `✦`, tool calls in `╭─╮` boxes, errors starting with `✕` (followed by an `ℹ` hint). A confirmation
 * or the folder-trust question replaces the input area with a box holding a numbered menu whose cursor is `●`.
 */
const INPUT_LINE = /^\s?[*>!]\s/;
const PLACEHOLDER = /^\s?[*>!]\s+Type your message/;
/** The top of the input area: the rule over the mode line, or the bar over the input line. */
const INPUT_EDGE = /^(?:─{20,}|▄{20,})$/;
const USER_MESSAGE = /^\s?>\s+\S/;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏].*\(esc to cancel/;
/**
 * A hook running, where the spinner line is: "⠙ Executing Hook: cao (esc to cancel, 4s)" during the turn, and, for
 * the AfterAgent hooks that run once the answer is drawn, "Executing Hooks: cao, audit" alone (no spinner). The turn
 * is not over until they are.
 */
const HOOK_RUNNING = /^\s*(?:[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s+)?Executing Hooks?: /m;
const MENU_CURSOR = /^[│\s]*●\s*\d+\.\s/;
const MENU_QUESTION = /Allow execution|Apply this change\?|Do you want to|Do you trust|Allow\b/;
/**
 * The mode line's context summary ("1 context file · 1 MCP server") is drawn once Gemini's config is initialized;
 * before that it shows the input line alone and takes an Enter as a newline or drops it. CAO always gives it
 * cao-mcp-server, so the count is there on every launch that is ready.
 */
const READY = /\b\d+ MCP servers?\b/;
/** Where CAO puts the profile's instructions: a context file loaded after the user's own GEMINI.md. */
export const GEMINI_PROFILE_FILE = "CAO_AGENT_PROFILE.md";

interface Screen extends Transcript {
  hasPrompt: boolean;
  /** The live input line (`*   Type your message…` when empty), or "" when none is drawn. */
  input: string;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  // The live input: the last input line with the input area's edge a few lines above it (a past message in the
  // transcript has an answer or a tool box above it, a dialog draws no input line at all).
  for (let i = lines.length - 1; i > 0; i--) {
    if (!INPUT_LINE.test(lines[i]!)) continue;
    const from = Math.max(0, i - 5);
    const edge = lines.slice(from, i).findIndex((line) => INPUT_EDGE.test(line));
    if (edge < 0) continue;
    const transcript = lines.slice(0, from + edge);
    return {
      lines,
      transcript,
      lastUser: lastIndexMatching(transcript, USER_MESSAGE),
      hasPrompt: true,
      input: lines[i]!,
    };
  }
  return { lines, transcript: lines, lastUser: -1, hasPrompt: false, input: "" };
}

function last(screen: Screen, pattern: RegExp): number {
  return lastAfterUser(screen, (line) => pattern.test(line));
}

export const geminiCliProvider: Provider = {
  name: "gemini_cli",
  binary: "gemini",
  hookDialect: geminiDialect,
  toolNames: GEMINI_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const servers = Object.fromEntries(
      Object.entries(mcpServersFor(context)).map(([name, server]) => [
        name,
        name === "cao-mcp-server" ? { ...server, trust: true } : server,
      ]),
    );
    const prompt = context.profile.systemPrompt.trim();
    const home = perLaunchGeminiHome(context, {
      mcpServers: servers,
      ...(prompt ? { contextFile: { name: GEMINI_PROFILE_FILE, content: `${prompt}\n` } } : {}),
      ...(context.hooks
        ? { hooks: { entries: geminiCommandHooks(context.hooks), variables: caoHookVariables(context.hooks) } }
        : {}),
    });
    // --skip-trust trusts the working directory CAO was told to use for this session only: the trust question is
    // never drawn (answering it makes Gemini restart itself), and stdio MCP servers need a trusted folder.
    const permissions = geminiPermissions(
      context,
      path.join(context.caoHome, "runtime", context.terminalId, "gemini-policy.toml"),
    );
    const policyFiles =
      permissions.policy !== undefined
        ? [{ path: permissions.argv[permissions.argv.length - 1]!, content: permissions.policy }]
        : [];
    const argv = [context.binaryPath, ...permissions.argv, "--skip-trust"];
    if (context.profile.model) argv.push("--model", context.profile.model);
    return { argv, env: { GEMINI_CLI_HOME: home.home }, files: [...home.files, ...policyFiles], links: home.links };
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    const region = bottom(screen.lines, 16);
    // A confirmation box replaces the input: its `● 1.` cursor is near the bottom, below any input area.
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    const input = screen.hasPrompt ? screen.transcript.length : -1;
    if (cursor > input && screen.lines.length - cursor <= 8 && MENU_QUESTION.test(region)) {
      return "waiting_user_answer";
    }
    if (SPINNER.test(region) || HOOK_RUNNING.test(region)) return "processing";
    if (!screen.hasPrompt) return "processing";
    if (screen.lastUser < 0) return READY.test(bottom(screen.lines, 8)) ? "idle" : "processing";
    const answer = last(screen, /^✦\s/);
    const error = last(screen, /^✕\s/);
    if (error > answer) return "error";
    return answer >= 0 ? "completed" : "idle";
  },
  unsubmittedInput(screenText: string): boolean {
    const { input } = read(screenText);
    return input !== "" && !PLACEHOLDER.test(input);
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = last(screen, /^✦\s/);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Gemini answer on screen after the last message");
    // Stops at the next block, a box, or a right-aligned hint such as "? for shortcuts".
    return answerBlock(screen, start, /^✦/, /^(?:✦|✕|ℹ|╭─|\s?>\s|\s{20,}\S|\s*Executing Hooks?: )/);
  },
  exit: { text: "/quit" },
  pasteEnterCount: 1,
  // An Enter within 40 ms of a paste is a newline in the pasted text to Gemini (its guard for terminals without
  // bracketed paste), and so is one within 30 ms of any typed key; a busy event loop stretches both.
  submitDelayMs: 300,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to cancel/, /Type your message/);
  },
  startupTimeoutMs: 60_000,
};
