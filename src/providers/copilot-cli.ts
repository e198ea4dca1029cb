import path from "node:path";
import { copilotDialect, copilotHooksFile } from "./hook-dialects/copilot.js";
import type { LaunchContext, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import {
  answerBlock,
  bottom,
  indexMatching,
  lastAfterUser,
  lastIndexMatching,
  mcpServersFor,
  screenLines,
  tailLooksIdle,
  type Transcript,
} from "./screen-text.js";
import { COPILOT_TOOL_NAMES } from "./native-tool-names.js";
import { copilotPermissionArgs } from "./permission-flags.js";

/*
 * GitHub Copilot CLI's TUI (1.0.x, alternate screen), bottom-up: a status line ("← open sidebar · Interactive ·
 * Allow All · / commands …" when idle, "◎ Working · 18 B esc esc interrupt" while busy, the glyph animating), the
 * input line `❯` between two rules of `─`, the working directory right above the top rule, and the transcript:
 * the user's message after ` ❯` (a clock time at the right end), tool lines (`$ Shell …`, `{} Read …`), answers
 * starting with ` ●` (notices such as "● Tip: /mcp" use it too, before any message), errors starting with ` ✗`
 * (model errors "✗ 400 …", and failed tool calls, which the model's next answer follows). Continuation lines are
 * indented by three spaces. Dialogs (folder trust, tool approval) replace the input with a `╭─╮` box holding a
 * numbered menu with a `❯` cursor and "↑/↓ to navigate · enter to select · esc to cancel". Once the transcript
 * overflows, every transcript line ends with a scrollbar `┃` in the last column.
 */
const RULE = /^─{10,}$/;
const INPUT = /^❯(?:\s|$)/;
const CWD_LINE = /^ [~/]/;
const USER_MESSAGE = /^ ?❯ \S/;
/** A transcript block starts at an indent of at most one space; its continuation lines are indented by three. */
const BLOCK_START = /^ ?\S/;
const ANSWER = /^ ?● /;
const ERROR = /^ ?✗ /;
/**
 * `●` lines that are not the model's answer: the CLI's notices ("● Tip: /mcp", "● Response was interrupted due to
 * a server error. Retrying...") and MCP tool calls that succeeded ("● send_message (MCP: cao-mcp-server) · …").
 */
const NOT_ANSWER = /^ ?● (?:.*Retrying\.\.\.$|MCP Servers reloaded|Tip: |\S+ \(MCP: [^)]*\))/;
const SCROLLBAR = /\s+┃$/;
const BUSY_STATUS = /(?:^|\s)(?:Working|Loading)\b|esc esc interrupt/;
const DIALOG_HINT = /↑\/↓ to navigate · enter to select/;
const MENU_CURSOR = /^[│\s]*❯\s*\d+\.\s/;
/**
 * The one first-launch screen CAO answers: the trust of the working directory it was told to use, with "1. Yes",
 * which trusts it for this session only (2. would write it into the user's ~/.copilot/config.json).
 */
const TRUST_DIALOG = /Confirm folder trust[\s\S]*Do you trust the files in this folder\?/;
const TRUST_THIS_SESSION = /❯\s*1\.\s+Yes\s*│?$/;

interface Screen extends Transcript {
  /** Index in `lines` of the live input line, or -1 when none is drawn (starting up, or a dialog instead). */
  input: number;
  /** The status line(s) under the input box. */
  status: string;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText).map((line) => line.replace(SCROLLBAR, ""));
  let input = -1;
  for (let i = lines.length - 1; i > 0; i--) {
    if (INPUT.test(lines[i]!) && RULE.test(lines[i - 1]!)) {
      input = i;
      break;
    }
  }
  if (input < 0) return { lines, transcript: lines, lastUser: -1, input, status: "" };
  const below = indexMatching(lines, RULE, input + 1);
  const status = below < 0 ? "" : lines.slice(below + 1).join("\n");
  let end = input - 1;
  if (end > 0 && CWD_LINE.test(lines[end - 1]!)) end--;
  const transcript = lines.slice(0, end);
  return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), input, status };
}

function lastAnswer(screen: Screen): number {
  return lastAfterUser(screen, (line) => ANSWER.test(line) && !NOT_ANSWER.test(line));
}

/** A dialog drawn where the input was: its hint line (or menu cursor) near the bottom, below any input line. */
function showsDialog(screen: Screen): boolean {
  const hint = lastIndexMatching(screen.lines, DIALOG_HINT);
  if (hint > screen.input && screen.lines.length - hint <= 4) return true;
  const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
  return cursor > screen.input && screen.lines.length - cursor <= 10;
}

export const copilotCliProvider: Provider = {
  name: "copilot_cli",
  binary: "copilot",
  hookDialect: copilotDialect,
  toolNames: COPILOT_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const runtime = path.join(context.caoHome, "runtime", context.terminalId);
    const mcpConfig = path.join(runtime, "copilot-mcp.json");
    // --allow-all (= --yolo: tools, paths, URLs) only for an unrestricted agent, --allow-tool/--deny-tool otherwise
    // (docs/tool-restrictions.md). --additional-mcp-config adds servers for this session only, on top of the user's
    // ~/.copilot/mcp-config.json, which stays untouched.
    const argv = [context.binaryPath, ...copilotPermissionArgs(context), "--additional-mcp-config", `@${mcpConfig}`];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const servers = Object.fromEntries(
      Object.entries(mcpServersFor(context)).map(([name, server]) => [
        name,
        { type: "local", ...server, tools: ["*"] },
      ]),
    );
    const files = [{ path: mcpConfig, content: JSON.stringify({ mcpServers: servers }, null, 2) }];
    if (context.hooks) {
      // Copilot reads hooks from the user's settings, the repository's .github/hooks, and plugins: a plugin given by
      // --plugin-dir is this session's alone, and neither the user's config nor the project is written.
      const plugin = path.join(runtime, "copilot-plugin");
      argv.push("--plugin-dir", plugin);
      files.push(
        {
          path: path.join(plugin, ".plugin", "plugin.json"),
          content: JSON.stringify({ name: "cao-agent-hooks", description: "Reports to CAO", version: "1.0.0" }),
        },
        { path: path.join(plugin, "hooks", "hooks.json"), content: JSON.stringify(copilotHooksFile(context.hooks)) },
      );
    }
    const env: Record<string, string> = {};
    const prompt = context.profile.systemPrompt.trim();
    if (prompt) {
      // Copilot has no system-prompt flag; it reads `instructions/*.instructions.md` from the directories in
      // COPILOT_CUSTOM_INSTRUCTIONS_DIRS into its system prompt. The user's own list (the server's) is kept.
      const instructions = path.join(runtime, "copilot-instructions");
      files.push({
        path: path.join(instructions, "instructions", `cao-${context.profile.name}.instructions.md`),
        content: `${prompt}\n`,
      });
      env.COPILOT_CUSTOM_INSTRUCTIONS_DIRS = [process.env.COPILOT_CUSTOM_INSTRUCTIONS_DIRS, instructions]
        .filter(Boolean)
        .join(",");
    }
    return { argv, env, files };
  },
  firstLaunchKeys(screenText: string): string[] | undefined {
    const lines = screenLines(screenText);
    if (!TRUST_DIALOG.test(bottom(lines, 30))) return undefined;
    const cursor = lastIndexMatching(lines, MENU_CURSOR);
    if (cursor < 0) return undefined;
    // The menu starts on "1. Yes"; should it not, move up to it rather than pick "remember this folder".
    return TRUST_THIS_SESSION.test(lines[cursor]!) ? ["Enter"] : ["Up"];
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    if (showsDialog(screen)) return "waiting_user_answer";
    if (screen.input < 0) return "processing"; // starting up
    if (BUSY_STATUS.test(screen.status)) return "processing";
    if (screen.lastUser < 0) return "idle";
    const answer = lastAnswer(screen);
    const error = lastAfterUser(screen, (line) => ERROR.test(line));
    // A failed tool call is followed by the model's next answer; a failed model request ends the turn.
    if (error > answer) return "error";
    return answer >= 0 ? "completed" : "idle";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = lastAnswer(screen);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Copilot answer on screen after the last message");
    const text = answerBlock(screen, start, /^ ?●/, BLOCK_START);
    if (!text) throw new Error("the last Copilot answer is empty");
    return text;
  },
  exit: { text: "/exit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    // Busy redraws animate the status line's glyph (◎ ○ ◉) and shimmer "Working" a few letters at a time.
    return tailLooksIdle(tail, /[◎○◉]\s|Working|esc esc interrupt/, /open sidebar/);
  },
  startupTimeoutMs: 60_000,
};
