import path from "node:path";
import { pathToFileURL } from "node:url";
import { opencodeDialect } from "./hook-dialects/opencode.js";
import { opencodePluginSource } from "./hook-dialects/opencode-plugin.js";
import type { LaunchContext, LaunchFile, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import { dedent, lastIndexMatching, mcpServersFor, screenLines, tailLooksIdle } from "./screen-text.js";
import { OPENCODE_TOOL_NAMES } from "./native-tool-names.js";
import { opencodePermission } from "./permission-flags.js";

/*
 * opencode's TUI (1.18.x, full screen). A fresh start shows the home view: the logo and a centred input box
 * ("Ask anything…"). Once a message is sent it shows the session view, bottom-up: a status line (the cwd when
 * idle, an animated `⬝⬝⬝■■` and "esc interrupt" while busy), the input box — lines starting with `┃`, closed by a
 * `╹▀▀▀` line — and the transcript above it. In the transcript, bordered `┃` blocks are the user's messages, shell
 * tool calls (`┃  $ cmd` and their output) and model errors; other tools are one-line entries (`→ Read …`, `⚙ tool
 * [args]`, `✱ Grep …`); answers are plain text indented under them; every assistant message ends with a footer
 * `▣  Build · <model>`, which gains a duration (`· 2.7s`) once the turn completed, "· interrupted" when it was
 * stopped, and stays bare after a model error. Wider than 120 columns, a 42-column sidebar (session title, context,
 * MCP servers) fills the right of each line; the input box's `╹▀▀▀` line ends where the main column ends. A
 * permission request replaces the input box with a `┃` block ("△ Permission required … Allow once  Allow always
 * Reject … enter confirm").
 */
const BOX_BOTTOM = /^\s*╹▀+/;
const PLACEHOLDER = /┃\s+Ask anything/;
const BORDERED = /^\s*┃/;
const FOOTER = /^\s*▣\s+\S/;
const DURATION = /·\s+\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\s+\d+[smhd])?$/;
const INTERRUPTED = /·\s+interrupted$/;
const BUSY_STATUS = /esc interrupt|[⬝■]{4,}/;
const DIALOG = /△ Permission required|Allow once\s+Allow always\s+Reject|⇆ select|enter confirm/;
/**
 * One-line tool entries: an icon, then the tool's title ("Read <path>", "Grep \"x\"", a tool name with its
 * arguments) or, while it runs, a braille spinner. Matched on the title too, so an answer that merely starts with
 * an arrow stays an answer.
 */
const INLINE_TOOL =
  /^(?:[→←]\s+(?:Read|Write|Edit|List|Skill|Asked|Access|Loading skill|Reading file|Preparing|Switching)\b|✱\s+(?:Glob|Grep|Finding|Searching)\b|%\s+(?:WebFetch|Patch|Fetching|Preparing)\b|◈\s|⚙\s|✗\s.*failed$|⟳\s|#\s+(?:Todos|Shell command)\b|[\u2800-\u28ff]\s)/;
interface Screen {
  lines: string[];
  /** Index of the input box's `╹▀▀▀` line, or -1 when none is drawn (starting up, or a dialog instead). */
  boxBottom: number;
  /** The input box's lines (`┃ …`), its agent · model line last. */
  box: string[];
  /** The transcript above the input box, cut to the main column (no sidebar). */
  transcript: string[];
  /** The status line(s) under the input box. */
  status: string;
}

function read(screenText: string): Screen {
  const lines = screenLines(screenText);
  const boxBottom = lastIndexMatching(lines, BOX_BOTTOM);
  if (boxBottom < 0) return { lines, boxBottom, box: [], transcript: [], status: "" };
  // The sidebar starts right of where the input box ends; cutting there leaves the main column.
  const mainEnd = lines[boxBottom]!.length;
  let top = boxBottom;
  while (top > 0 && BORDERED.test(lines[top - 1]!)) top--;
  const transcript = lines.slice(0, top).map((line) => line.slice(0, mainEnd).replace(/\s+$/, ""));
  return {
    lines,
    boxBottom,
    box: lines.slice(top, boxBottom),
    transcript,
    status: lines.slice(boxBottom + 1).join("\n"),
  };
}

interface Turn {
  /** Index of the last turn footer (`▣ …`) in the transcript, or -1. */
  footer: number;
  /** Whether a message (a bordered block) follows that footer: a turn under way. */
  newer: boolean;
}

function lastTurn(transcript: readonly string[]): Turn {
  const footer = lastIndexMatching(transcript, FOOTER);
  return { footer, newer: transcript.slice(footer + 1).some((line) => BORDERED.test(line)) };
}

function showsDialog(screen: Screen): boolean {
  const dialog = lastIndexMatching(screen.lines, DIALOG);
  return dialog > screen.boxBottom && screen.lines.length - dialog <= 12;
}

/** opencode's JSON config for this launch, merged over what the server's environment already sets inline. */
function configContent(
  context: LaunchContext,
  instructionsFile: string | undefined,
  pluginFile: string | undefined,
): string {
  let own: Record<string, any> = {};
  try {
    const parsed: unknown = JSON.parse(process.env.OPENCODE_CONFIG_CONTENT ?? "{}");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) own = parsed as Record<string, any>;
  } catch {
    // not JSON: opencode itself would skip it
  }
  const permission = opencodePermission(context);
  const mcp = Object.fromEntries(
    Object.entries(mcpServersFor(context)).map(([name, server]) => [
      name,
      {
        type: "local",
        command: [server.command, ...(server.args ?? [])],
        environment: server.env ?? {},
        enabled: true,
      },
    ]),
  );
  return JSON.stringify({
    ...own,
    mcp: { ...own.mcp, ...mcp },
    permission: { ...(typeof own.permission === "object" ? own.permission : {}), ...permission },
    ...(instructionsFile
      ? { instructions: [...(Array.isArray(own.instructions) ? own.instructions : []), instructionsFile] }
      : {}),
    ...(pluginFile
      ? { plugin: [...(Array.isArray(own.plugin) ? own.plugin : []), pathToFileURL(pluginFile).href] }
      : {}),
  });
}

export const opencodeCliProvider: Provider = {
  name: "opencode_cli",
  binary: "opencode",
  hookDialect: opencodeDialect,
  toolNames: OPENCODE_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const argv = [context.binaryPath];
    if (context.profile.model) argv.push("--model", context.profile.model);
    const runtime = path.join(context.caoHome, "runtime", context.terminalId);
    const prompt = context.profile.systemPrompt.trim();
    const files: LaunchFile[] = [];
    const instructions = prompt ? path.join(runtime, `opencode-${context.profile.name}.md`) : undefined;
    if (instructions) files.push({ path: instructions, content: `${prompt}\n` });
    // opencode's hooks are plugins: one file of CAO's, loaded by this launch's config only. It imports only node:fs,
    // so opencode installs nothing for it (docs/providers/opencode_cli.md#hooks: what loading a plugin waits for).
    const plugin = context.hooks ? path.join(runtime, "opencode-cao-hooks.js") : undefined;
    if (plugin) files.push({ path: plugin, content: opencodePluginSource(context.hooks!) });
    return {
      argv,
      // OPENCODE_CONFIG_CONTENT is merged last, over the user's ~/.config/opencode and the project's config: MCP
      // servers, the permission bypass, the profile's prompt (as an instructions file) and CAO's hooks plugin for
      // this launch only.
      env: { OPENCODE_CONFIG_CONTENT: configContent(context, instructions, plugin) },
      ...(files.length > 0 ? { files } : {}),
    };
  },
  getStatus(screenText: string): TerminalStatus {
    const screen = read(screenText);
    if (showsDialog(screen)) return "waiting_user_answer";
    if (screen.boxBottom < 0) return "processing"; // starting up
    if (BUSY_STATUS.test(screen.status)) return "processing";
    const turn = lastTurn(screen.transcript);
    if (turn.newer) return "processing"; // a message sent, its answer not begun
    if (turn.footer < 0) {
      // The home view keeps the first message in its input (instead of "Ask anything…") for the seconds it takes
      // to open the session.
      return screen.box.some((line) => PLACEHOLDER.test(line)) ? "idle" : "processing";
    }
    const footer = screen.transcript[turn.footer]!;
    if (DURATION.test(footer)) return "completed";
    return INTERRUPTED.test(footer) ? "idle" : "error";
  },
  extractLastAnswer(screenText: string): string {
    const screen = read(screenText);
    const turn = lastTurn(screen.transcript);
    if (turn.footer < 0 || turn.newer) throw new Error("no opencode answer on screen after the last message");
    // The answer is the text between the turn's last tool entry (or the user's message) and its footer.
    let start = turn.footer;
    while (start > 0) {
      const line = screen.transcript[start - 1]!;
      if (BORDERED.test(line) || FOOTER.test(line) || INLINE_TOOL.test(line.trim())) break;
      start--;
    }
    const text = dedent(screen.transcript.slice(start, turn.footer));
    if (!text) throw new Error("no opencode answer on screen after the last message");
    return text;
  },
  // ctrl+c clears typed input, or (input empty) quits, even mid-turn. Typed "/exit" is unreliable: its Enter may
  // land before the pasted text or only pick the command in the completion list.
  exit: { keys: ["C-c", "C-c"] },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    // Busy redraws the spinner cell by cell; a finished turn draws its footer's duration ("· 5.4s") after it.
    return tailLooksIdle(tail, /[⬝■]{4,}|esc interrupt/, /·\s*\d+(?:\.\d+)?(?:ms|s|m|h|d)\b/);
  },
  // The first paint took 13 s on an idle machine and over a minute on a loaded one.
  startupTimeoutMs: 120_000,
};
