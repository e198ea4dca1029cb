import path from "node:path";
import { qwenDialect } from "./hook-dialects/qwen.js";
import { qwenHookLayer } from "./qwen-settings.js";
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
import { QWEN_TOOL_NAMES } from "./native-tool-names.js";
import { qwenPermissionArgs } from "./permission-flags.js";

/*
 * Qwen Code's TUI (0.24), bottom-up: a footer (`➜ <dir> · <model>`, then the mode: "YOLO mode (shift + tab to
 * cycle)", preceded by "Enter to steer · Ctrl+Q to queue ·" while it works), the input line between two full-width
 * rules of `─` (`*   Type your message or @path/to/file` when empty in YOLO mode, `>` in other modes; a follow-up
 * suggestion may show there as dim text), and right above the top rule a spinner line while it works ("..
 * Distracting you with this witty phrase... (2s · esc to cancel)", "Initializing..." before the input is drawn).
 * Above that the transcript, each block at a 2-column indent with its continuation lines at 4: the user's message
 * `> text`, answers `◆︎ text`, tool calls `✓ Shell cmd` (`x` failed, `-` cancelled, `?` waiting for approval),
 * notices `●︎ …`, errors `✕ [API Error: …]`. An approval replaces the input with a numbered menu whose cursor is `›`
 * ("Allow execution of: 'touch'?") and a "Waiting for user confirmation..." spinner.
 */
const RULE = /^─{20,}$/;
const INPUT_LINE = /^[*>!]\s/;
const USER_MESSAGE = /^ {0,2}>\s+\S/;
const ANSWER = /^ {0,2}◆/;
const ERROR = /^ {0,2}✕\s/;
/** A block starts at the 2-column indent; an answer's own lines sit at 4. */
const BLOCK_START = /^ {0,2}\S/;
const BUSY = /esc to cancel|Waiting for user confirmation/;
const MENU_CURSOR = /^\s*›\s*\d+\.\s/;
const MENU_QUESTION = /Allow execution|Do you want to|Apply this change|Waiting for user confirmation/;

interface Screen extends Transcript {
  hasPrompt: boolean;
}

function read(screenText: string): Screen {
  // Qwen draws its markers with a text-presentation selector (U+FE0E), which takes no column: drop it so the
  // marker lines up with the answer's continuation lines.
  const lines = screenLines(screenText.replace(/[\uFE0E\uFE0F]/g, ""));
  for (let i = lines.length - 2; i > 0; i--) {
    if (!INPUT_LINE.test(lines[i]!) || !RULE.test(lines[i - 1]!)) continue;
    const transcript = lines.slice(0, i - 1);
    return { lines, transcript, lastUser: lastIndexMatching(transcript, USER_MESSAGE), hasPrompt: true };
  }
  return { lines, transcript: lines, lastUser: -1, hasPrompt: false };
}

function last(screen: Screen, pattern: RegExp): number {
  return lastAfterUser(screen, (line) => pattern.test(line));
}

export const qwenCliProvider: Provider = {
  name: "qwen_cli",
  binary: "qwen",
  hookDialect: qwenDialect,
  toolNames: QWEN_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const mcpConfig = path.join(context.caoHome, "runtime", context.terminalId, "qwen-mcp.json");
    const servers = Object.fromEntries(
      Object.entries(mcpServersFor(context)).map(([name, server]) => [
        name,
        name === "cao-mcp-server" ? { ...server, trust: true } : server,
      ]),
    );
    // --approval-mode default (it asks) or yolo for an unrestricted agent, never Qwen's own default "auto", where a
    // classifier (a model call of its own) judges risky tool calls (docs/tool-restrictions.md).
    // --mcp-config adds cao-mcp-server for this launch to the user's own servers; ~/.qwen/settings.json stays as is.
    const argv = [context.binaryPath, ...qwenPermissionArgs(context), "--mcp-config", mcpConfig];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const prompt = context.profile.systemPrompt.trim();
    if (prompt) argv.push("--append-system-prompt", prompt);
    const files = [{ path: mcpConfig, content: JSON.stringify({ mcpServers: servers }, null, 2) }];
    if (!context.hooks) return { argv, files };
    const layer = qwenHookLayer(context, context.hooks);
    return { argv, env: layer.env, files: [...files, layer.file] };
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    const region = bottom(screen.lines, 16);
    // An approval replaces the input: its `› 1.` cursor is near the bottom, with no input line drawn.
    const cursor = lastIndexMatching(screen.lines, MENU_CURSOR);
    if (!screen.hasPrompt && cursor >= 0 && screen.lines.length - cursor <= 10 && MENU_QUESTION.test(region))
      return "waiting_user_answer";
    if (!screen.hasPrompt) return "processing"; // starting ("Initializing..."), or a full-screen view
    // The spinner sits right above the input's top rule, the "Enter to steer" hint in the footer below it.
    const near = [...screen.transcript.slice(-3), ...screen.lines.slice(screen.transcript.length)];
    if (near.some((line) => BUSY.test(line))) return "processing";
    if (screen.lastUser < 0) return "idle";
    const answer = last(screen, ANSWER);
    const error = last(screen, ERROR);
    if (error > answer) return "error";
    return answer >= 0 ? "completed" : "idle";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const start = last(screen, ANSWER);
    if (screen.lastUser < 0 || start < 0) throw new Error("no Qwen Code answer on screen after the last message");
    return answerBlock(screen, start, /^ {0,2}◆/, BLOCK_START);
  },
  exit: { text: "/quit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    return tailLooksIdle(tail, /esc to cancel/, /Type your message/);
  },
  startupTimeoutMs: 90_000,
};
