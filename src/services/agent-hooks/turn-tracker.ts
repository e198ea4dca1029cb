import fs from "node:fs";

/** The most of a transcript read to sum one turn's usage: a turn that wrote more is summed over its last part. */
const MAX_TRANSCRIPT_READ = 16 * 1024 * 1024;
/** How long a turn's end waits for the CLI to write its last transcript entry. */
const TRANSCRIPT_WAIT_MS = 3000;

interface TerminalTurns {
  /** toolUseId (or tool name when the CLI gives no id) → when its agent_tool_started went out. */
  tools: Map<string, number>;
  /** transcript path → its size when the current turn started. */
  turnStart?: { transcript: string; offset: number };
}

/**
 * What the agent-hook service remembers between one terminal's hook calls: when each tool started (for durationMs)
 * and where the transcript stood when the turn began (to sum the turn's usage). Memory only: after a server restart
 * the first finished tool has no duration and the first turn's usage is read from the whole transcript.
 */
export class TurnTracker {
  private readonly terminals = new Map<string, TerminalTurns>();

  private of(terminalId: string): TerminalTurns {
    let turns = this.terminals.get(terminalId);
    if (!turns) this.terminals.set(terminalId, (turns = { tools: new Map() }));
    return turns;
  }

  turnStarted(terminalId: string, transcriptPath: string | undefined): void {
    const turns = this.of(terminalId);
    turns.tools.clear();
    if (transcriptPath) turns.turnStart = { transcript: transcriptPath, offset: sizeOf(transcriptPath) };
    else delete turns.turnStart;
  }

  toolStarted(terminalId: string, key: string, at = Date.now()): void {
    this.of(terminalId).tools.set(key, at);
  }

  /** Milliseconds since the tool's start, or null when its start was not seen. */
  toolFinished(terminalId: string, key: string, at = Date.now()): number | null {
    const tools = this.terminals.get(terminalId)?.tools;
    const start = tools?.get(key);
    if (start === undefined) return null;
    tools!.delete(key);
    return Math.max(0, at - start);
  }

  /** The part of the transcript written since the turn started (the whole file when its start was not seen). */
  turnTranscript(terminalId: string, transcriptPath: string): string | undefined {
    const start = this.terminals.get(terminalId)?.turnStart;
    const offset = start?.transcript === transcriptPath ? start.offset : 0;
    return readFrom(transcriptPath, offset);
  }

  /**
   * The turn's part of the transcript once it holds `needle` (the CLI may call its turn-end hook before it wrote the
   * last entry), or as it is after `waitMs`; at once when `needle` is empty.
   */
  async turnTranscriptWith(
    terminalId: string,
    transcriptPath: string,
    needle: string,
    waitMs = TRANSCRIPT_WAIT_MS,
  ): Promise<string | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const part = this.turnTranscript(terminalId, transcriptPath);
      if (!needle || part?.includes(needle) || Date.now() >= deadline) return part;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  forget(terminalId: string): void {
    this.terminals.delete(terminalId);
  }
}

/**
 * What a JSON-lines transcript holds once it has `lastMessage`: the message as JSON spells it (a short prefix, as it
 * may be split in blocks); "" for no message.
 */
export function messageNeedle(lastMessage: string): string {
  return JSON.stringify(lastMessage.slice(0, 40)).slice(1, -1);
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // the CLI creates its transcript with the turn's first entry
  }
}

function readFrom(file: string, offset: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const size = fs.fstatSync(fd).size;
    const from = Math.max(offset > size ? 0 : offset, size - MAX_TRANSCRIPT_READ);
    const buffer = Buffer.alloc(size - from);
    fs.readSync(fd, buffer, 0, buffer.length, from);
    return buffer.toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
