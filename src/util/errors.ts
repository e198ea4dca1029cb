import { inspect, types } from "node:util";

export { ValidationError } from "./validate.js";

/** An unknown session, terminal or message: HTTP 404. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** A missing or wrong secret: HTTP 401. */
export class UnauthorizedError extends Error {
  readonly statusCode = 401;
  constructor(message: string) {
    super(message);
    this.name = "UnauthorizedError";
  }
}

/** The request clashes with the current state (a session that exists, an answer not there yet): HTTP 409. */
export class ConflictError extends Error {
  readonly statusCode = 409;
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** A plugin's interceptor denied the operation (docs/contract.md#interception-points): HTTP 403, and nothing was changed. */
export class OperationDeniedError extends Error {
  readonly statusCode = 403;
  constructor(
    readonly plugin: string,
    readonly reason: string,
  ) {
    super(`denied by plugin ${plugin}: ${reason}`);
    this.name = "OperationDeniedError";
  }
}

/** The message of anything thrown: an Error's message (or name), otherwise the value as text. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error || types.isNativeError(error)) return error.message || error.name;
  // Plugins throw anything; `{ code: 1 }` says more than "[object Object]".
  if (typeof error === "object" && error !== null) return inspect(error, { depth: 2, breakLength: Infinity });
  return String(error);
}
