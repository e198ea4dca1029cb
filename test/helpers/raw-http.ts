import http from "node:http";
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request through node:http with exactly the headers given: unlike fetch, it lets a test send the Host and
 * Origin a browser or a remote attacker would. No connection reuse, so nothing is left open.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; connectTo?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: options.connectTo ?? target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port,
        method,
        path,
        headers: options.headers ?? {},
        agent: false,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/**
 * Writes `text` on a bare TCP connection and returns everything the server sent back before it closed the
 * connection (for requests the server refuses at the HTTP level; a valid one should say `Connection: close`).
 */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("close", () => resolve(received));
    socket.on("error", (error: NodeJS.ErrnoException) => (received ? resolve(received) : reject(error)));
    socket.write(text);
  });
}

/** Status line, headers and body of a raw HTTP/1.1 response. */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = "", body = ""] = text.split("\r\n\r\n", 2) as [string?, string?];
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}
