import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { TmuxGoneError, TmuxUnavailableError, isGoneText, tmuxFailure } from "./tmux-errors.js";

/** A session's control client is given back after this long without a command (the next command opens another). */
const IDLE_CLOSE_MS = 10_000;

/**
 * The tmux client runs under this watchdog, which ends it once cao-server's end of fd 3 closes — when cao-server is
 * gone, however it went. tmux 3.3 keeps a control client whose reader died with output still queued attached for
 * ever, and a kill-server then never finishes (the server waits for that client, refusing everyone else).
 */
const WATCHDOG = `exec 4<&0
"$@" <&4 3<&- 4<&- &
client=$!
exec 4<&-
(read _ <&3; kill $client 2>/dev/null) &
watchdog=$!
exec 3<&-
wait $client
status=$?
kill $watchdog 2>/dev/null
exit $status`;

/** How to start and fall back: what TmuxClient knows. */
export interface ControlOptions {
  binary: string;
  /** The global arguments (`-L socket`). */
  base: string[];
  timeoutMs: number;
  /** Runs a request in a tmux process of its own: for requests that never reached a control client. */
  spawned: (args: string[], input: string | undefined) => Promise<string>;
}

/**
 * The control clients (`tmux -C`) of the sessions commands were run in lately, one per session: a command then costs
 * a line written and read, not a process. Starting a tmux process is the dominant cost of a command (15–50 ms on a
 * loaded two-core machine), and delivering one inbox message takes three (status probe, staging, paste).
 * Without control mode (tmux older than 3.2: no `attach-session -f`), commands run in processes as before.
 */
export class TmuxControls {
  private readonly clients = new Map<string, ControlClient>();
  private unsupported = false;

  constructor(private readonly options: ControlOptions) {}

  /** Runs `args` (commands separated by ";" words, as for a tmux process, `input` its stdin) through `session`'s client. */
  run(session: string, args: string[], input?: string): Promise<string> {
    // An empty line would detach the client (and an empty process would start a new session).
    if (args.length === 0) throw new TypeError("a tmux request needs a command");
    const spawned = () => this.options.spawned(args, input);
    if (this.unsupported) return spawned();
    const line = withoutStdin(args, input);
    let client = this.clients.get(session);
    if (!client?.open) {
      client = new ControlClient(session, this.options, (ended, unsupported) => {
        if (this.clients.get(session) === ended) this.clients.delete(session);
        if (unsupported) this.unsupported = true;
      });
      this.clients.set(session, client);
    }
    return client.run(line, spawned);
  }

  /** Gives every control client back (a pending command still gets its answer). */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

interface Request {
  args: string[];
  /** The same request in a process of its own. */
  spawned: () => Promise<string>;
  /** Printed after the request's commands: its answer is complete when this comes back. */
  marker: string;
  output: string[];
  /** What the failed command printed; tmux runs none of a line's commands after a failed one. */
  error: string | undefined;
  timer: NodeJS.Timeout;
  resolve: (output: string) => void;
  reject: (error: Error) => void;
}

/**
 * One `tmux -C attach-session` to one session, `no-output` (no pane output streamed to it) and `ignore-size` (the
 * windows keep their size). Each request is one line of commands, then a line printing a marker: tmux answers every
 * command with a `%begin`…`%end` (or `%error`) block, in order, so the marker's block ends the request's answer.
 */
class ControlClient {
  private readonly child: ChildProcess;
  private readonly nonce = randomBytes(6).toString("hex");
  private count = 0;
  private attached = false;
  /** Takes new requests (false once closing or ended). */
  open = true;
  private ended = false;
  /** Requests asked for before the client attached: not sent yet. */
  private readonly held: Request[] = [];
  /** Requests written to tmux, oldest first. */
  private readonly sent: Request[] = [];
  private block: { id: string; lines: string[] } | undefined;
  private partial = "";
  /** Why the client could not attach: its error block or stderr. */
  private why = "";
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly session: string,
    private readonly options: ControlOptions,
    /** `unsupported`: it could not attach for another reason than a missing session or server (an old tmux). */
    private readonly onEnd: (client: ControlClient, unsupported: boolean) => void,
  ) {
    // -N: a control client never starts a tmux server (attach-session would, to find it has no sessions).
    const tmux = [options.binary, ...options.base, "-N", "-C", "attach-session", "-f", "no-output,ignore-size"];
    // Its own process group, so that a hung client is killed with its watchdog.
    this.child = spawn("/bin/sh", ["-c", WATCHDOG, "tmux-control", ...tmux, "-t", `=${session}`], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    // The client never keeps cao-server alive: when cao-server exits, the watchdog ends it.
    this.child.unref();
    for (const stream of this.child.stdio) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
      stream?.on("error", () => undefined); // a client gone mid-write: its exit reports it
    }
    (this.child.stdio[3] as Readable).resume(); // the watchdog's line: nothing comes through it, but its end must be seen
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => this.read(chunk));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.why += chunk.toString("utf8")));
    this.child.on("error", (error) => this.end(error.message));
    this.child.on("close", () => this.end(""));
  }

  run(args: string[], spawned: () => Promise<string>): Promise<string> {
    clearTimeout(this.idle);
    return new Promise((resolve, reject) => {
      const request: Request = {
        args,
        spawned,
        marker: `cao-done-${this.nonce}-${++this.count}`,
        output: [],
        error: undefined,
        resolve,
        reject,
        timer: setTimeout(() => this.hung(), this.options.timeoutMs),
      };
      if (this.attached) this.send(request);
      else this.held.push(request);
    });
  }

  /** Gives the client back: tmux detaches it once it has read what was written. */
  close(): void {
    this.open = false;
    clearTimeout(this.idle);
    this.child.stdin!.end();
  }

  private send(request: Request): void {
    this.sent.push(request);
    this.child.stdin!.write(`${commandLine(request.args)}\ndisplay-message -p ${request.marker}\n`);
  }

  private read(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (!this.block) {
      // Notifications (%session-changed, %window-add, %exit, …) say nothing a request needs.
      if (line.startsWith("%begin ")) this.block = { id: line.slice("%begin ".length), lines: [] };
      return;
    }
    // Only the end naming this block's time and number ends it: a screen line reading "%end …" cannot.
    const failed = line === `%error ${this.block.id}`;
    if (!failed && line !== `%end ${this.block.id}`) {
      this.block.lines.push(line);
      return;
    }
    const { id, lines } = this.block;
    this.block = undefined;
    if (id.endsWith(" 1")) this.answer(lines, failed);
    else if (!this.attached) this.attach(lines, failed); // flags 0: the attach-session the client was started with
  }

  private attach(lines: string[], failed: boolean): void {
    if (failed) {
      this.why = lines.join("\n");
      return; // the client exits next
    }
    this.attached = true;
    for (const request of this.held.splice(0)) this.send(request);
  }

  private answer(lines: string[], failed: boolean): void {
    const request = this.sent[0];
    if (!request) return;
    if (failed) {
      request.error = lines.join("\n");
    } else if (lines.length === 1 && lines[0] === request.marker) {
      this.sent.shift();
      clearTimeout(request.timer);
      if (request.error === undefined) request.resolve(request.output.join(""));
      else request.reject(tmuxFailure(request.args, request.error, 1, null));
      if (this.sent.length === 0 && this.held.length === 0 && this.open) {
        this.idle = setTimeout(() => this.close(), IDLE_CLOSE_MS);
        this.idle.unref();
      }
    } else {
      // As a tmux process prints it: every line ends with a newline.
      request.output.push(lines.map((l) => `${l}\n`).join(""));
    }
  }

  /** A request passed its deadline: the client is killed, and nothing written to it is answered any more. */
  private hung(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    for (const request of [...this.sent.splice(0), ...this.held.splice(0)]) {
      clearTimeout(request.timer);
      request.reject(
        new TmuxUnavailableError(
          `tmux did not answer within ${this.options.timeoutMs} ms (tmux ${request.args[0]}): its server may be hung (if it recovers, the command may still take effect)`,
          request.args,
        ),
      );
    }
    this.end("");
  }

  /** The client ended, could not start, or was killed. */
  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.open = false;
    clearTimeout(this.idle);
    this.why ||= reason;
    // Never sent: run where they would have run without control mode (a process reports a gone session as usual).
    for (const request of this.held.splice(0)) {
      clearTimeout(request.timer);
      request.spawned().then(request.resolve, request.reject);
    }
    const unanswered = this.sent.splice(0);
    for (const request of unanswered) clearTimeout(request.timer);
    if (unanswered.length > 0) void this.settle(unanswered);
    const why = this.why.trim();
    this.onEnd(this, !this.attached && why !== "" && !isGoneText(why));
  }

  /**
   * Requests the client ended without answering: its session was killed meanwhile (a process would have found it
   * gone), or it was detached (the command may have run). A process asks which.
   */
  private async settle(requests: Request[]): Promise<void> {
    let gone: TmuxGoneError | undefined;
    try {
      await this.options.spawned(["has-session", "-t", `=${this.session}`], undefined);
    } catch (error) {
      if (error instanceof TmuxGoneError) gone = error;
    }
    for (const request of requests) {
      request.reject(
        gone
          ? tmuxFailure(request.args, gone.stderr, 1, null)
          : new TmuxUnavailableError(
              `the tmux control client ended before answering (tmux ${request.args[0]}); the command may have taken effect`,
              request.args,
            ),
      );
    }
  }
}

/**
 * A control client has no stdin to give a command, and the one command here that reads it is `load-buffer -b NAME -`:
 * it becomes `set-buffer -b NAME -- INPUT`, the text on the command line (a process keeps reading it from stdin, since
 * a long message would not fit in one argument).
 */
function withoutStdin(args: string[], input: string | undefined): string[] {
  if (input === undefined) return args;
  const [command, flag, name, source] = args;
  if (command !== "load-buffer" || flag !== "-b" || name === undefined || source !== "-")
    throw new TypeError(`only "load-buffer -b NAME -" reads tmux's input, not ${JSON.stringify(args.slice(0, 4))}`);
  return ["set-buffer", "-b", name, "--", input, ...args.slice(4)];
}

/**
 * `args` as one line of tmux commands: every word double-quoted, with the characters tmux would read otherwise
 * escaped (`\`, `"`, `$` and a leading `~` expand; a line ends at a newline); a lone ";" separates commands, as it
 * does in a tmux process's arguments.
 */
export function commandLine(args: readonly string[]): string {
  return args.map((word) => (word === ";" ? ";" : quoteWord(word))).join(" ");
}

function quoteWord(word: string): string {
  if (word.includes("\u0000")) throw new TypeError("a tmux word cannot contain NUL");
  const escaped = word
    .replace(/[\\"$~]/g, (c) => `\\${c}`)
    .replace(/[\u0001-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return `"${escaped}"`;
}
