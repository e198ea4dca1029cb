import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests that never reach fastify (a head over the size limit, a malformed head, a head that took too long) get
 * the same `{"detail": …}` JSON as every other error; fastify's default answers these in its own shape.
 */
export function clientErrorHandler(maxHeaderBytes: number): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === "ECONNRESET" || socket.destroyed) return; // the client is gone: nobody to answer
    let status: number;
    let detail: string;
    if (error.code === "HPE_HEADER_OVERFLOW") {
      status = 431;
      detail = `the request head is larger than ${maxHeaderBytes / 1024} KB; send long parameters in a JSON body instead of the query string`;
    } else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      status = 408;
      detail = "the request head took too long to arrive";
    } else {
      status = 400;
      detail = `malformed HTTP request: ${error.message}`;
    }
    // As Node's own handler does: never write into a response that is already on its way (keep-alive pipelining).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify({ detail });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
