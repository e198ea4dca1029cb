import { execFile, spawn } from "node:child_process";
import { assertTmuxName } from "../util/validate.js";

export interface TmuxOptions {
  /** A private tmux server (`tmux -L <name>`); tests use one each. Default: the user's default server. */
  socketName?: string;
  /** The tmux executable (default `tmux` on PATH). */
  binary?: string;
}

export interface NewWindow {
  session: string;
  window: string;
  cwd: string;
  env: Record<string, string>;
}

export class TmuxError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(message);
    this.name = "TmuxError";
  }
}

/**
 * A thin async client of the tmux command line. Every call is `execFile` with an argument vector (never a shell),
 * and every session or window name is validated before it reaches tmux, so no input can become a tmux command.
 */
export class TmuxClient {
  private readonly base: string[];
  private readonly binary: string;
  private pasteCounter = 0;

  constructor(options: TmuxOptions = {}) {
    this.binary = options.binary ?? "tmux";
    this.base = options.socketName ? ["-L", options.socketName] : [];
  }

  run(args: string[], input?: string): Promise<string> {
    const argv = [...this.base, ...args];
    return new Promise((resolve, reject) => {
      if (input !== undefined) {
        const child = spawn(this.binary, argv, { stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
        child.on("error", (e) => reject(new TmuxError(`tmux ${args[0]} failed: ${e.message}`, args, "")));
        child.on("close", (code) =>
          code === 0 ? resolve(out) : reject(new TmuxError(`tmux ${args[0]} failed: ${err.trim() || `exit ${code}`}`, args, err)),
        );
        child.stdin.end(input);
        return;
      }
      execFile(this.binary, argv, { maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
        if (error) reject(new TmuxError(`tmux ${args[0]} failed: ${stderr.trim() || error.message}`, args, stderr));
        else resolve(stdout);
      });
    });
  }

  async hasSession(session: string): Promise<boolean> {
    assertTmuxName(session, "session name");
    try {
      await this.run(["has-session", "-t", `=${session}`]);
      return true;
    } catch {
      return false;
    }
  }

  /** A detached session whose first window runs the default shell in `cwd`, with `env` in its environment. */
  async newSession(spec: NewWindow): Promise<void> {
    assertTmuxName(spec.session, "session name");
    assertTmuxName(spec.window, "window name");
    await this.run(["new-session", "-d", "-s", spec.session, "-n", spec.window, "-c", spec.cwd, "-x", "220", "-y", "50", ...envArgs(spec.env)]);
  }

  async newWindow(spec: NewWindow): Promise<void> {
    assertTmuxName(spec.session, "session name");
    assertTmuxName(spec.window, "window name");
    await this.run(["new-window", "-d", "-t", `=${spec.session}:`, "-n", spec.window, "-c", spec.cwd, ...envArgs(spec.env)]);
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
    } catch {
      return []; // no server running means no sessions
    }
  }

  /**
   * Types `text` into the pane as one bracketed paste (so newlines stay part of the message instead of submitting
   * it line by line), then presses Enter `enterCount` times.
   */
  async pasteText(session: string, window: string, text: string, enterCount: number): Promise<void> {
    const target = this.target(session, window);
    const buffer = `cao-paste-${process.pid}-${++this.pasteCounter}`;
    // One tmux invocation (commands chained with ";") instead of three process spawns: input latency is mostly spawn cost.
    const enters = Array.from({ length: enterCount }, () => [";", "send-keys", "-t", target, "Enter"]).flat();
    await this.run(["load-buffer", "-b", buffer, "-", ";", "paste-buffer", "-p", "-d", "-b", buffer, "-t", target, ...enters], text);
  }

  /** Stores `text` in the named tmux buffer (replacing it); nothing is typed yet. */
  async loadBuffer(buffer: string, text: string): Promise<void> {
    assertTmuxName(buffer, "buffer name");
    await this.run(["load-buffer", "-b", buffer, "-"], text);
  }

  /**
   * Pastes the named buffer as one bracketed paste and deletes it, then presses Enter `enterCount` times: one tmux
   * command, so once it ran the buffer is gone, and a buffer still there means it was never pasted.
   */
  async pasteBuffer(session: string, window: string, buffer: string, enterCount: number): Promise<void> {
    assertTmuxName(buffer, "buffer name");
    const target = this.target(session, window);
    const enters = Array.from({ length: enterCount }, () => [";", "send-keys", "-t", target, "Enter"]).flat();
    await this.run(["paste-buffer", "-p", "-d", "-b", buffer, "-t", target, ...enters]);
  }

  /** Names of the tmux server's paste buffers (none when no server runs). */
  async bufferNames(): Promise<Set<string>> {
    try {
      return new Set((await this.run(["list-buffers", "-F", "#{buffer_name}"])).split("\n").filter(Boolean));
    } catch {
      return new Set();
    }
  }

  async deleteBuffer(buffer: string): Promise<void> {
    assertTmuxName(buffer, "buffer name");
    await this.run(["delete-buffer", "-b", buffer]);
  }

  /** tmux key names (`C-c`, `C-d`, `Enter`, `Escape`, …), sent as keys, not text. */
  async sendKeys(session: string, window: string, keys: string[]): Promise<void> {
    for (const key of keys) {
      if (!/^(?:[CM]-[a-zA-Z]|Enter|Escape|Tab|BSpace|Up|Down|Left|Right|[a-zA-Z0-9])$/.test(key)) {
        throw new TypeError(`refusing to send unknown tmux key ${JSON.stringify(key)}`);
      }
    }
    await this.run(["send-keys", "-t", this.target(session, window), ...keys]);
  }

  /** Types `text` literally (no key-name interpretation), without Enter. */
  async sendLiteral(session: string, window: string, text: string): Promise<void> {
    await this.run(["send-keys", "-t", this.target(session, window), "-l", text]);
  }

  /** The visible screen (and `historyLines` above it), wrapped lines joined. */
  async capture(session: string, window: string, historyLines = 0): Promise<string> {
    const args = ["capture-pane", "-p", "-J", "-t", this.target(session, window)];
    if (historyLines > 0) args.push("-S", `-${historyLines}`);
    return this.run(args);
  }

  /** Appends everything the pane prints to `logFile` (tmux runs the pipe command through sh; the path is quoted). */
  async pipeToFile(session: string, window: string, logFile: string): Promise<void> {
    await this.run(["pipe-pane", "-o", "-t", this.target(session, window), `cat >> ${shellQuote(logFile)}`]);
  }

  async paneCurrentPath(session: string, window: string): Promise<string> {
    const out = await this.run(["display-message", "-p", "-t", this.target(session, window), "#{pane_current_path}"]);
    return out.trim();
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

  private target(session: string, window: string): string {
    assertTmuxName(session, "session name");
    assertTmuxName(window, "window name");
    return `=${session}:${window}`;
  }
}

function envArgs(env: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TypeError(`invalid environment variable name ${JSON.stringify(key)}`);
    args.push("-e", `${key}=${value}`);
  }
  return args;
}

/** POSIX single-quote quoting: safe for any string, including quotes and newlines. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
