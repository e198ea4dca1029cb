export { ValidationError } from "./validate.js";

/** An unknown session, terminal or message: HTTP 404. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
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
