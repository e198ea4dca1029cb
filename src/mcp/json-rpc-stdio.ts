import type { Readable, Writable } from "node:stream";

/**
 * JSON-RPC 2.0 over stdio as MCP frames it: one JSON message per line, both ways. Only what a server needs: requests
 * are answered (each on its own, so a long tool call never holds up a ping or a second call), notifications and
 * responses are passed to `onNotification` or dropped, malformed lines get the standard error answers.
 */

/** An error answer with a JSON-RPC code: -32601 method not found, -32602 invalid params, … */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const INTERNAL_ERROR = -32603;

type Id = string | number;
export type RequestHandler = (method: string, params: unknown) => Promise<unknown>;

/** Serves `handle` on `input`/`output` until `input` ends or closes. */
export function serveJsonRpc(input: Readable, output: Writable, handle: RequestHandler): Promise<void> {
  const send = (message: object) => output.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  const answer = (id: Id, method: string, params: unknown) => {
    handle(method, params).then(
      (result) => send({ id, result }),
      (error: unknown) =>
        send({
          id,
          error:
            error instanceof RpcError
              ? { code: error.code, message: error.message }
              : { code: INTERNAL_ERROR, message: String((error as Error)?.message ?? error) },
        }),
    );
  };
  const receive = (message: unknown) => {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      send({ id: null, error: { code: INVALID_REQUEST, message: "a JSON-RPC message is an object" } });
      return;
    }
    const { id, method, params } = message as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof method !== "string") return; // a response to nothing we asked, or junk without an id to answer
    if (id === undefined || id === null) return; // a notification (initialized, cancelled …): nothing to answer
    if (typeof id !== "string" && typeof id !== "number") {
      send({ id: null, error: { code: INVALID_REQUEST, message: "id must be a string or a number" } });
      return;
    }
    answer(id, method, params);
  };

  let buffered = "";
  input.setEncoding("utf8");
  input.on("data", (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
      const line = buffered.slice(0, end).replace(/\r$/, "");
      buffered = buffered.slice(end + 1);
      if (line.trim() === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        send({ id: null, error: { code: PARSE_ERROR, message: "not JSON" } });
        continue;
      }
      for (const one of Array.isArray(message) ? message : [message]) receive(one);
    }
  });
  return new Promise<void>((resolve) => {
    input.once("end", resolve);
    input.once("close", resolve);
    // EPIPE and the like: the client is gone, so is the conversation (and an unhandled stream error would crash).
    output.on("error", () => resolve());
  });
}
