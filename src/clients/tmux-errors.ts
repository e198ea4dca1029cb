/** A tmux command failed (exit status not 0): HTTP 500 unless it is one of the cases below. */
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

/** tmux did not answer within its deadline, or cannot be started at all: HTTP 503, nothing is known about the target. */
export class TmuxUnavailableError extends TmuxError {
  readonly statusCode = 503;
  constructor(message: string, args: readonly string[]) {
    super(message, args, "");
    this.name = "TmuxUnavailableError";
  }
}

/** The session or window the command named does not exist (any more), or no tmux server runs at all: HTTP 404. */
export class TmuxGoneError extends TmuxError {
  readonly statusCode = 404;
  constructor(message: string, args: readonly string[], stderr: string) {
    super(message, args, stderr);
    this.name = "TmuxGoneError";
  }
}

// tmux 3.x wording; "error connecting … (No such file or directory)" is a socket path with no server behind it.
const GONE = /can't find (?:session|window|pane)|no server running|error connecting to .*\(No such file or directory\)/;

/** Whether tmux's message says the session, window or pane it was given, or the whole server, does not exist. */
export function isGoneText(text: string): boolean {
  return GONE.test(text);
}

/** The error for a tmux child that exited with `code` (or was killed by `signal`) after printing `stderr`. */
export function tmuxFailure(
  args: readonly string[],
  stderr: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): TmuxError {
  const why = stderr.trim() || (signal ? `killed by ${signal}` : `exit ${code}`);
  const message = `tmux ${args[0]} failed: ${why}`;
  return isGoneText(stderr) ? new TmuxGoneError(message, args, stderr) : new TmuxError(message, args, stderr);
}
