import path from "node:path";
import { claudeDialect, claudeHttpHooks } from "./hook-dialects/claude.js";
import { claudePermissionArgs } from "./claude-permissions.js";
import { CLAUDE_TOOL_NAMES } from "./native-tool-names.js";
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

/*
 * Claude Code's TUI, bottom-up: an input box (a prompt line `>` or `❯` between two rules of `─`, or inside a
 * `╭─╮` box on older versions), above it a spinner line while it works ("✻ Pondering… (12s · esc to interrupt)")
 * or a summary once done ("✻ Worked for 38s"), and above that the transcript: the user's message after the prompt
 * glyph, then blocks that start with `⏺` (`●` on some terminals): tool calls (`⏺ Read(file)` with `⎿` result
 * lines) and text answers. Permission and trust dialogs are numbered menus with a `❯` cursor.
 */
const PROMPT = /^(?:│\s*)?[>❯](?:[\s\u00a0]|$)/;
const BOX_EDGE = /^(?:╭─|─{10,})/;
const USER_MESSAGE = /^[>❯][\s\u00a0]+\S/;
const BLOCK = /^[⏺●](?:\s|$)/;
const TOOL_CALL = /^[⏺●]\s+[A-Z][\w-]*(?:\(.*\))?$/;
const SPINNER = /^[✶✢✽✻✳·*+]\s+\S.*…/;
const MENU_CURSOR = /^[│\s]*❯\s*\d+\.\s/;
const MENU_QUESTION =
  /(?:Do you want to|Would you like to)[^\n]*\?|Enter to confirm|Yes, I trust this folder|Yes, I accept/;
/** Newer dialogs (trust, bypass confirmation, API key) are unnumbered selects: `❯ Choice` lines above this footer. */
const SELECT_FOOTER = /^\s*Enter to confirm · Esc to (?:cancel|exit)/;
/**
 * The first-launch screens CAO answers itself: the trust of the working directory it was told to use, and (should a
 * version ignore skipDangerousModePermissionPrompt) the confirmation of the bypass mode CAO chose. Not the API-key
 * question: which credentials to use is the user's call.
 */
const FIRST_LAUNCH_ANSWERS = [
  { dialog: /Yes, I trust this folder/, choice: /Yes, I trust this folder/ },
  { dialog: /Bypass Permissions mode[\s\S]*Yes, I accept/, choice: /Yes, I accept/ },
];
const API_ERROR = /^(?:[⏺●]|\s*⎿)\s+API Error\b/;

interface Screen extends Transcript {
  /** Index in `lines` of the live prompt, or -1 when no input box is drawn. */
  prompt: number;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  // The live input box: a prompt line right under a rule (or the top of a box). A `❯ 1. Yes` menu cursor or a
  // past message in the transcript starts with the same glyph, but never sits right under a rule.
  let prompt = -1;
  for (let i = lines.length - 1; i > 0; i--) {
    if (PROMPT.test(lines[i]!) && BOX_EDGE.test(lines[i - 1]!)) {
      prompt = i;
      break;
    }
  }
  if (prompt < 0) return { lines, transcript: lines, lastUser: -1, prompt };
  const transcript = lines.slice(0, prompt - 1);
  return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), prompt };
}

/** Start of the last text answer (not a tool call) after the user's last message, or -1. */
function lastAnswerStart(screen: Screen): number {
  return lastAfterUser(
    screen,
    (line, i) => BLOCK.test(line) && !(TOOL_CALL.test(line) && /^\s*⎿/.test(screen.transcript[i + 1] ?? "")),
  );
}

export const claudeCodeProvider: Provider = {
  name: "claude_code",
  binary: "claude",
  hookDialect: claudeDialect,
  toolNames: CLAUDE_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const runtime = path.join(context.caoHome, "runtime", context.terminalId);
    const mcpConfig = path.join(runtime, "claude-mcp.json");
    const settings = path.join(runtime, "claude-settings.json");
    const permissions = claudePermissionArgs(context);
    // --settings layers settings for this launch only: a bypass CAO was asked for is confirmed here rather than on a
    // "Bypass Permissions mode … Yes, I accept" screen, and the user's ~/.claude/settings.json is never written.
    const argv = [
      context.binaryPath,
      ...permissions.argv,
      "--settings",
      settings,
      "--mcp-config",
      mcpConfig,
      "--strict-mcp-config",
    ];
    if (context.profile.model) argv.push("--model", context.profile.model);
    if (context.profile.systemPrompt.trim()) argv.push("--append-system-prompt", context.profile.systemPrompt.trim());
    return {
      argv,
      // As root Claude Code refuses --dangerously-skip-permissions unless told it runs in a sandbox (containers).
      ...(context.asRoot && permissions.bypass ? { env: { IS_SANDBOX: "1" } } : {}),
      files: [
        { path: mcpConfig, content: JSON.stringify({ mcpServers: mcpServersFor(context) }, null, 2) },
        {
          path: settings,
          content: JSON.stringify(
            {
              ...(permissions.bypass ? { skipDangerousModePermissionPrompt: true } : {}),
              ...(context.hooks ? { hooks: claudeHttpHooks(context.hooks) } : {}),
            },
            null,
            2,
          ),
        },
      ],
    };
  },
  firstLaunchNotice:
    "Claude Code records each folder CAO trusts for it in ~/.claude.json (projects.<dir>.hasTrustDialogAccepted), as it does when you answer its trust dialog yourself",
  firstLaunchKeys(screenText: string): string[] | undefined {
    // Selects start on their safe choice ("No, exit"): move down to CAO's answer, then confirm it.
    const lines = screenLines(screenText);
    const dialog = bottom(lines, 16);
    const answer = FIRST_LAUNCH_ANSWERS.find((known) => known.dialog.test(dialog))?.choice;
    const cursor = lastIndexMatching(lines, /^\s*❯\s+\S/);
    if (answer === undefined || cursor < 0 || lines.length - cursor > 6) return undefined;
    return answer.test(lines[cursor]!) ? ["Enter"] : ["Down"];
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    // A dialog is drawn in place of the input box: its `❯ 1.` cursor is below any live prompt, near the bottom.
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    if (cursor > screen.prompt && screen.lines.length - cursor <= 12 && MENU_QUESTION.test(bottom(screen.lines, 20))) {
      return "waiting_user_answer";
    }
    const selectFooter = lastIndexMatching(screen.lines, SELECT_FOOTER);
    if (selectFooter > screen.prompt && screen.lines.length - selectFooter <= 3) return "waiting_user_answer";
    if (screen.prompt < 0) return "processing"; // starting up, or a full-screen view
    // Busy shows as a spinner line above the box, and (newer versions) "esc to interrupt" in the footer below it.
    const nearBox = [...screen.transcript.slice(-6), ...screen.lines.slice(screen.prompt + 1)];
    if (nearBox.some((line) => SPINNER.test(line) || line.includes("esc to interrupt"))) return "processing";
    if (screen.lastUser < 0) return "idle";
    const answer = lastAnswerStart(screen);
    if (answer < 0) return "idle";
    return API_ERROR.test(screen.transcript[answer]!) ? "error" : "completed";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = lastAnswerStart(screen);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Claude Code answer on screen after the last message");
    const text = answerBlock(screen, start, /^[⏺●]/, /^(?:[⏺●]|[✶✢✽✻✳·*+]\s)/);
    if (!text) throw new Error("the last Claude Code answer is empty");
    return text;
  },
  exit: { text: "/exit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to interrupt/, /[✶✢✽✻✳·*+]\s*\S+ for \d|[>❯]\u00a0/);
  },
  startupTimeoutMs: 60_000,
};
