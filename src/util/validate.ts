/**
 * Input rules shared by the API and the clients. Names reach tmux and file paths, so they are restricted to a
 * small alphabet: no `; : . $ ' " \` spaces or newlines can ever be interpreted by tmux or a shell.
 */
export class ValidationError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}

/** Session, window and agent-profile names: what tmux, file paths and shells can never misread. */
export const NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const TERMINAL_ID = /^[0-9a-f]{8}$/;
/** The most characters one message may carry (input or inbox); tmux buffers and agent CLIs cope with far less. */
export const MAX_MESSAGE_LENGTH = 100_000;

export function assertTmuxName(value: string, what: string): void {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ValidationError(
      `${what} must be 1-64 characters of letters, digits, '-' or '_' (got ${JSON.stringify(value)})`,
    );
  }
}

export function assertTerminalId(value: string): void {
  if (typeof value !== "string" || !TERMINAL_ID.test(value)) {
    throw new ValidationError(`terminal id must be 8 lowercase hex characters (got ${JSON.stringify(value)})`);
  }
}

export function assertMessage(value: unknown, what = "message"): asserts value is string {
  if (typeof value !== "string" || value.trim().length === 0)
    throw new ValidationError(`${what} must be a non-empty string`);
  if (value.length > MAX_MESSAGE_LENGTH) {
    throw new ValidationError(`${what} is ${value.length} characters; the limit is ${MAX_MESSAGE_LENGTH}`);
  }
  if (value.includes("\u0000")) throw new ValidationError(`${what} must not contain NUL characters`);
}
