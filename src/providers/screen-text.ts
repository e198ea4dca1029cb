import type { LaunchContext, McpServerConfig } from "./provider.js";

/**
 * Reading agent CLI screens. tmux capture-pane gives plain text (no colour); the pane log (pipe-pane) keeps the
 * raw escape sequences, so `stripAnsi` is for log tails. Screens are read bottom-up: a TUI draws its live state
 * (prompt box, spinner, approval menu) at the bottom, above which sits the transcript.
 */

// CSI (colours, cursor moves, erase), OSC (titles, hyperlinks) and two-byte escapes.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** The screen's lines with trailing spaces removed and trailing blank lines dropped. */
export function screenLines(screen: string): string[] {
  const lines = screen
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.replace(/[\s\u00a0]+$/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Index of the last line before `before` matching `pattern`, or -1. */
export function lastIndexMatching(lines: readonly string[], pattern: RegExp, before = lines.length): number {
  for (let i = Math.min(before, lines.length) - 1; i >= 0; i--) if (pattern.test(lines[i]!)) return i;
  return -1;
}

/** Index of the first line at or after `from` (and before `before`) matching `pattern`, or -1. */
export function indexMatching(lines: readonly string[], pattern: RegExp, from = 0, before = lines.length): number {
  for (let i = Math.max(0, from); i < Math.min(before, lines.length); i++) if (pattern.test(lines[i]!)) return i;
  return -1;
}

/** The last `count` lines joined: where a TUI shows what it is doing now. */
export function bottom(lines: readonly string[], count: number): string {
  return lines.slice(-count).join("\n");
}

/** Removes a common leading indent (answers are rendered indented under their marker). */
export function dedent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines
    .map((l) => l.slice(cut))
    .join("\n")
    .replace(/^\n+|\n+$/g, "");
}

/** A JSON-encoded string is a valid TOML basic string (JSON.stringify never emits the one escape TOML lacks, `\/`). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * The pane log's cheap idle test for full-screen TUIs, whose raw output is cursor-addressed redraws rather than
 * lines. A busy TUI redraws its spinner several times a second, so its busy marker is always among the last bytes;
 * idle means no busy marker there, or an idle marker drawn after the last one. It leans towards "idle" on purpose:
 * a wrong "idle" only costs the inbox one capture-pane, a wrong "busy" would hold a message back.
 */
export function tailLooksIdle(tail: string, busy: RegExp, idle: RegExp): boolean {
  // TUIs often draw a gap between words by moving the cursor right (CSI n C) rather than printing spaces.
  const text = stripAnsi(tail.replace(/\x1b\[\d*C/g, " "));
  const lastBusy = lastMatchIndex(text, busy);
  if (lastBusy < 0) return true;
  return lastMatchIndex(text, idle) > lastBusy;
}

function lastMatchIndex(text: string, pattern: RegExp): number {
  const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  let last = -1;
  for (const match of text.matchAll(global)) last = match.index;
  return last;
}

/** The MCP servers a CLI is given: the profile's own, and cao-mcp-server (always, and never overridden). */
export function mcpServersFor(
  context: Pick<LaunchContext, "profile" | "caoMcpServer">,
): Record<string, McpServerConfig> {
  return { ...context.profile.mcpServers, "cao-mcp-server": context.caoMcpServer };
}

/** The part of a screen above the live input: the transcript, and where the user's last message in it is. */
export interface Transcript {
  lines: string[];
  transcript: string[];
  /** Index in `transcript` of the last message the user sent, or -1. */
  lastUser: number;
}

/** Index of the last transcript line after the user's last message that satisfies `test`, or -1. */
export function lastAfterUser(screen: Transcript, test: (line: string, index: number) => boolean): number {
  for (let i = screen.transcript.length - 1; i > screen.lastUser; i--) if (test(screen.transcript[i]!, i)) return i;
  return -1;
}

/**
 * The answer block starting at transcript line `start`, up to the next line matching `stop`: its first line
 * without the `marker` glyph, and the block dedented (answers are indented under their marker).
 */
export function answerBlock(screen: Transcript, start: number, marker: RegExp, stop: RegExp): string {
  let end = indexMatching(screen.transcript, stop, start + 1);
  if (end < 0) end = screen.transcript.length;
  const block = screen.transcript.slice(start, end);
  const first = block[0]!;
  const cut = marker.exec(first)?.[0].length ?? 0;
  block[0] = " ".repeat(cut) + first.slice(cut);
  return dedent(block);
}
