import { spawn, type ChildProcess } from "node:child_process";
import { assertTmuxName } from "../util/validate.js";
import { typedText } from "../util/typed-text.js";
import { TMUX_SEND_KEY } from "../util/tmux-key.js";
import { TmuxControls } from "./tmux-control.js";
import { TmuxGoneError, TmuxUnavailableError, tmuxFailure } from "./tmux-errors.js";
import {
  EXEC_MARK,
  LISTED_PANE_FORMAT,
  PANE_FORMAT,
  parseListedPane,
  parsePane,
  REFUSE_INPUT,
  type ListedPane,
  type PaneState,
} from "./tmux-pane.js";

export { TmuxError, TmuxGoneError, TmuxUnavailableError } from "./tmux-errors.js";
export type { ListedPane, PaneState } from "./tmux-pane.js";

export interface TmuxOptions {
  /** A private tmux server (`tmux -L <name>`); tests use one each. Default: the user's default server. */
  socketName?: string;
  /** The tmux executable (default `tmux` on PATH). */
  binary?: string;
  /** Deadline of one tmux invocation; the child is SIGKILLed when it passes (default 5000 ms). */
  timeoutMs?: number;
}

export const DEFAULT_TMUX_TIMEOUT_MS = 5000;

export interface NewWindow {
  session: string;
  window: string;
  cwd: string;
  env: Record<string, string>;
  /**
   * The agent's command line (shell-quoted), run as the window's own command: tmux starts it with
   * `default-shell -c "exec …"`, so no interactive login shell runs first (its rc files cost a launch up to seconds,
   * and its PATH may not be the server's). Without it the window runs the default shell.
   */
  command?: string;
}

/** A pane's state and its screen, read in one tmux invocation. */
export interface PaneProbe {
  pane: PaneState;
  screen: string;
}

/** Printed by a guarded command that refused to type, followed by the pane's state. */
const REFUSED = "cao-refused\t";

const ignore = (): void => undefined;

/**
 * A thin async client of the tmux command line. Every call is an argument vector (never a shell) with a deadline,
 * and every session or window name is validated before it reaches tmux, so no input can become a tmux command and no
 * hung tmux server can hang a caller. Commands that create, list or kill run in a child process each; commands on the
 * panes of an existing session (read, type, stage) go through that session's control client (TmuxControls), since
 * starting a process is most of what a command costs.
 */
export class TmuxClient {
  private readonly base: string[];
  private readonly binary: string;
  readonly timeoutMs: number;
  private pasteCounter = 0;
  private readonly controls: TmuxControls;

  constructor(options: TmuxOptions = {}) {
    this.binary = options.binary ?? "tmux";
    this.base = options.socketName ? ["-L", options.socketName] : [];
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new TypeError(`tmux timeout must be a positive integer of ms, got ${options.timeoutMs}`);
    this.controls = new TmuxControls({
      binary: this.binary,
      base: this.base,
      timeoutMs: this.timeoutMs,
      spawned: (args, input) => this.spawned(args, input),
    });
  }

  /** Gives the sessions' control clients back (they never keep the process alive either way). */
  close(): void {
    this.controls.close();
  }

  /**
   * Runs one tmux invocation (several commands may be chained with ";"; `input` is tmux's stdin). Rejects with
   * TmuxUnavailableError when tmux cannot be started or does not finish within the deadline (the child is then
   * SIGKILLed, so children of a hung server never pile up), TmuxGoneError when the target or the whole server does
   * not exist, TmuxError otherwise. With `session`, the commands go through that session's control client instead of
   * a process of their own, with the same answers and errors.
   */
  run(args: string[], options: { input?: string; session?: string } = {}): Promise<string> {
    if (options.session === undefined) return this.spawned(args, options.input);
    assertTmuxName(options.session, "session name");
    return this.controls.run(options.session, args, options.input);
  }

  private spawned(args: string[], input: string | undefined): Promise<string> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.binary, [...this.base, ...args], {
          stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
      } catch (error) {
        reject(new TmuxUnavailableError(`cannot start tmux: ${(error as Error).message}`, args));
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        settle(() =>
          reject(
            new TmuxUnavailableError(
              `tmux did not answer within ${this.timeoutMs} ms (tmux ${args[0]}): its server may be hung (if it recovers, the command may still take effect)`,
              args,
            ),
          ),
        );
      }, this.timeoutMs);
      // A tmux that exits before reading its input (no server, killed) leaves a closed pipe: the write then emits
      // EPIPE on stdin, and an error event without a listener is thrown as an uncaught exception. The exit status
      // reports the failure; the stream errors add nothing.
      child.stdin?.on("error", ignore);
      child.stdout!.on("error", ignore);
      child.stderr!.on("error", ignore);
      child.stdout!.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr!.on("data", (chunk: Buffer) => err.push(chunk));
      child.on("error", (error: NodeJS.ErrnoException) => {
        const why =
          error.code === "ENOENT"
            ? `tmux is not installed (no ${this.binary} on PATH)`
            : `cannot start tmux: ${error.message}`;
        settle(() => reject(new TmuxUnavailableError(why, args)));
      });
      child.on("close", (code, signal) => {
        settle(() =>
          code === 0
            ? resolve(Buffer.concat(out).toString("utf8"))
            : reject(tmuxFailure(args, Buffer.concat(err).toString("utf8"), code, signal)),
        );
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  async hasSession(session: string): Promise<boolean> {
    assertTmuxName(session, "session name");
    try {
      await this.run(["has-session", "-t", `=${session}`]);
      return true;
    } catch (error) {
      if (error instanceof TmuxGoneError) return false;
      throw error;
    }
  }

  /**
   * A detached session whose first window runs `spec.command` (else the default shell) in `cwd`, with `env` in its
   * environment. The window keeps `remain-on-exit on` (set in the same tmux command, before the server can reap
   * anything): when the agent ends, the pane stays, dead, showing its last screen, instead of disappearing. The
   * session keeps `destroy-unattached off` whatever a tmux.conf says: a client that attaches and leaves (a person
   * looking in, the session's control client) must not take the agents with it.
   */
  async newSession(spec: NewWindow): Promise<void> {
    assertTmuxName(spec.session, "session name");
    assertTmuxName(spec.window, "window name");
    await this.run([
      "new-session",
      "-d",
      "-s",
      spec.session,
      "-n",
      spec.window,
      "-c",
      spec.cwd,
      "-x",
      "220",
      "-y",
      "50",
      ...envArgs(spec.env),
      ...commandArgs(spec),
      ...this.agentWindowOptions(spec),
      ";",
      "set-option",
      "-t",
      `=${spec.session}:`,
      "destroy-unattached",
      "off",
    ]);
  }

  async newWindow(spec: NewWindow): Promise<void> {
    assertTmuxName(spec.session, "session name");
    assertTmuxName(spec.window, "window name");
    await this.run([
      "new-window",
      "-d",
      "-t",
      `=${spec.session}:`,
      "-n",
      spec.window,
      "-c",
      spec.cwd,
      ...envArgs(spec.env),
      ...commandArgs(spec),
      ...this.agentWindowOptions(spec),
    ]);
  }

  /** Names of the windows of a session. */
  async listWindows(session: string): Promise<string[]> {
    assertTmuxName(session, "session name");
    const out = await this.run(["list-windows", "-t", `=${session}`, "-F", "#{window_name}"]);
    return out.split("\n").filter(Boolean);
  }

  async listSessions(): Promise<string[]> {
    try {
      const out = await this.run(["list-sessions", "-F", "#{session_name}"]);
      return out.split("\n").filter(Boolean);
    } catch (error) {
      if (error instanceof TmuxGoneError) return []; // no server running means no sessions
      throw error;
    }
  }

  /** Every pane of every session with its state, in one invocation; none when no tmux server runs. */
  async listPanes(): Promise<ListedPane[]> {
    try {
      const out = await this.run(["list-panes", "-a", "-F", LISTED_PANE_FORMAT]);
      return out.split("\n").filter(Boolean).map(parseListedPane);
    } catch (error) {
      if (error instanceof TmuxGoneError) return [];
      throw error;
    }
  }

  /**
   * Types `text` into the pane as one bracketed paste (so newlines stay part of the message instead of submitting
   * it line by line), then presses Enter `enterCount` times — unless the pane is dead or back at a shell its agent
   * left: then nothing is typed and the pane's state is returned. Check and paste run inside one tmux
   * command queue, so the pane cannot die between them. Control characters are removed first (see typedText).
   * `submitDelayMs` holds the Enter back after the paste (see Provider.submitDelayMs).
   */
  async pasteText(
    session: string,
    window: string,
    text: string,
    enterCount: number,
    submitDelayMs = 0,
  ): Promise<PaneState | undefined> {
    const target = this.target(session, window);
    const buffer = `cao-paste-${process.pid}-${++this.pasteCounter}`;
    const enters = submitKeys(target, enterCount, submitDelayMs);
    // One tmux invocation instead of one per step: input latency is mostly process spawn cost.
    const args = [
      "load-buffer",
      "-b",
      buffer,
      "-",
      ";",
      ...this.unlessExited(
        target,
        [["paste-buffer", "-p", "-d", "-b", buffer, "-t", target], ...enters],
        [["delete-buffer", "-b", buffer]],
      ),
    ];
    try {
      return refusal(await this.run(args, { input: typedText(text), session }));
    } catch (error) {
      // The target vanished after the buffer was loaded: do not leave the buffer in the server.
      if (error instanceof TmuxGoneError) await this.run(["delete-buffer", "-b", buffer]).catch(ignore);
      throw error;
    }
  }

  /**
   * Stores `text` in the named tmux buffer (replacing it); nothing is typed yet. Buffers belong to the tmux server;
   * `session`, the one it is meant for, says whose control client carries it.
   */
  async loadBuffer(session: string, buffer: string, text: string): Promise<void> {
    assertTmuxName(session, "session name");
    assertTmuxName(buffer, "buffer name");
    await this.run(["load-buffer", "-b", buffer, "-"], { input: typedText(text), session });
  }

  /**
   * Pastes the named buffer as one bracketed paste and deletes it, then presses Enter `enterCount` times: one tmux
   * command, so once it ran the buffer is gone, and a buffer still there means it was never pasted. Refused like
   * pasteText (the buffer then stays), returning the pane's state.
   */
  async pasteBuffer(
    session: string,
    window: string,
    buffer: string,
    enterCount: number,
    submitDelayMs = 0,
  ): Promise<PaneState | undefined> {
    assertTmuxName(buffer, "buffer name");
    const target = this.target(session, window);
    const enters = submitKeys(target, enterCount, submitDelayMs);
    const paste = this.unlessExited(target, [["paste-buffer", "-p", "-d", "-b", buffer, "-t", target], ...enters]);
    return refusal(await this.run(paste, { session }));
  }

  /** Names of the tmux server's paste buffers (none when no server runs). */
  async bufferNames(): Promise<Set<string>> {
    try {
      return new Set((await this.run(["list-buffers", "-F", "#{buffer_name}"])).split("\n").filter(Boolean));
    } catch (error) {
      if (error instanceof TmuxGoneError) return new Set(); // no server running: no buffers
      throw error;
    }
  }

  async deleteBuffer(buffer: string): Promise<void> {
    assertTmuxName(buffer, "buffer name");
    await this.run(["delete-buffer", "-b", buffer]);
  }

  /**
   * tmux key names (`C-c`, `C-d`, `Enter`, `Escape`, …), sent as keys, not text; refused like pasteText, returning
   * the pane's state.
   */
  async sendKeys(session: string, window: string, keys: string[]): Promise<PaneState | undefined> {
    for (const key of keys) {
      if (!TMUX_SEND_KEY.test(key)) {
        throw new TypeError(`refusing to send unknown tmux key ${JSON.stringify(key)}`);
      }
    }
    const target = this.target(session, window);
    return refusal(await this.run(this.unlessExited(target, [["send-keys", "-t", target, ...keys]]), { session }));
  }

  /** The visible screen (and `historyLines` above it), wrapped lines joined. */
  async capture(session: string, window: string, historyLines = 0): Promise<string> {
    return this.run(this.captureArgs(this.target(session, window), historyLines), { session });
  }

  /** The pane's state and its visible screen, in one invocation (status checks are frequent). */
  async probe(session: string, window: string): Promise<PaneProbe> {
    const target = this.target(session, window);
    const args = ["display-message", "-p", "-t", target, PANE_FORMAT, ";", ...this.captureArgs(target, 0)];
    const out = await this.run(args, { session });
    const newline = out.indexOf("\n");
    if (newline < 0) return { pane: parsePane(out), screen: "" };
    return { pane: parsePane(out.slice(0, newline)), screen: out.slice(newline + 1) };
  }

  /** Appends everything the pane prints to `logFile` (tmux runs the pipe command through sh; the path is quoted). */
  async pipeToFile(session: string, window: string, logFile: string): Promise<void> {
    await this.run(["pipe-pane", "-o", "-t", this.target(session, window), `cat >> ${shellQuote(logFile)}`]);
  }

  async paneCurrentPath(session: string, window: string): Promise<string> {
    const target = this.target(session, window);
    const out = await this.run(["display-message", "-p", "-t", target, "#{pane_current_path}"], { session });
    return out.trim();
  }

  async paneProcessId(session: string, window: string): Promise<number> {
    const out = await this.run(["display-message", "-p", "-t", this.target(session, window), "#{pane_pid}"]);
    return Number(out.trim());
  }

  async killWindow(session: string, window: string): Promise<void> {
    await this.run(["kill-window", "-t", this.target(session, window)]);
  }

  async killSession(session: string): Promise<void> {
    assertTmuxName(session, "session name");
    await this.run(["kill-session", "-t", `=${session}`]);
  }

  /** Stops this client's tmux server (only meaningful with a private socket). */
  async killServer(): Promise<void> {
    try {
      await this.run(["kill-server"]);
    } catch {
      // already gone
    }
  }

  private agentWindowOptions(spec: NewWindow): string[] {
    const target = `=${spec.session}:${spec.window}`;
    return [
      ";",
      "set-option",
      "-w",
      "-t",
      target,
      "remain-on-exit",
      "on",
      ";",
      "set-option",
      "-w",
      "-t",
      target,
      EXEC_MARK,
      "1",
    ];
  }

  private captureArgs(target: string, historyLines: number): string[] {
    const args = ["capture-pane", "-p", "-J", "-t", target];
    if (historyLines > 0) args.push("-S", `-${historyLines}`);
    return args;
  }

  /** `if-shell -F`: runs `commands` unless the pane refuses input; then runs `onRefuse` and prints the pane's state. */
  private unlessExited(target: string, commands: string[][], onRefuse: string[][] = []): string[] {
    const refused = [...onRefuse, ["display-message", "-p", "-t", target, REFUSED + PANE_FORMAT]];
    return ["if-shell", "-F", "-t", target, REFUSE_INPUT, commandString(refused), commandString(commands)];
  }

  private target(session: string, window: string): string {
    assertTmuxName(session, "session name");
    assertTmuxName(window, "window name");
    return `=${session}:${window}`;
  }
}

/** The Enter presses after a paste, behind a wait inside the same command queue (`run-shell -d`) when asked. */
function submitKeys(target: string, enterCount: number, delayMs: number): string[][] {
  const wait = delayMs > 0 ? [["run-shell", "-d", (delayMs / 1000).toFixed(3)]] : [];
  return [...wait, ...Array.from({ length: enterCount }, () => ["send-keys", "-t", target, "Enter"])];
}

/** The state printed by a refused guarded command, or undefined when it ran. */
function refusal(out: string): PaneState | undefined {
  const at = out.indexOf(REFUSED);
  return at < 0 ? undefined : parsePane(out.slice(at + REFUSED.length).replace(/\n$/, ""));
}

/**
 * Commands as a tmux command string (what if-shell parses). Every word is single-quoted; the words come from
 * validated names and fixed formats, never from user text, and none may contain a quote.
 */
function commandString(commands: string[][]): string {
  return commands
    .map((words) =>
      words
        .map((word) => {
          if (word.includes("'")) throw new TypeError(`tmux word ${JSON.stringify(word)} cannot be quoted`);
          return `'${word}'`;
        })
        .join(" "),
    )
    .join(" ; ");
}

function commandArgs(spec: NewWindow): string[] {
  return spec.command === undefined ? [] : [`exec ${spec.command}`];
}

function envArgs(env: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new TypeError(`invalid environment variable name ${JSON.stringify(key)}`);
    args.push("-e", `${key}=${value}`);
  }
  return args;
}

/** POSIX single-quote quoting: safe for any string, including quotes and newlines. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
