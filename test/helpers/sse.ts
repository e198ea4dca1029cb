import http from "node:http";
import { waitFor } from "./wait.js";

export interface SseEvent {
  id: number;
  event: string;
  data: any;
}

/** A Server-Sent Events client over node:http (exact headers, no reconnection of its own): what it received, as parsed. */
export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** Comment lines received (without the leading ": "). */
  comments: string[];
  /** Resolves when the server ended or broke the stream. */
  ended: Promise<void>;
  isEnded(): boolean;
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens `GET path` on `url` and resolves once the response head arrived (the server has subscribed by then). */
export function openSse(url: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: target.hostname,
        port: target.port,
        path,
        headers: { accept: "text/event-stream", ...headers },
        agent: false,
      },
      (response) => {
        const events: SseEvent[] = [];
        const comments: string[] = [];
        let ended = false;
        let buffer = "";
        let markEnded!: () => void;
        const endedPromise = new Promise<void>((r) => (markEnded = r));
        const finish = () => {
          ended = true;
          markEnded();
        };
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id: number | undefined;
            let event = "message";
            let data: string | undefined;
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) comments.push(line.slice(1).trim());
              else if (line.startsWith("id: ")) id = Number(line.slice(4));
              else if (line.startsWith("event: ")) event = line.slice(7);
              else if (line.startsWith("data: ")) data = line.slice(6);
            }
            if (data !== undefined) events.push({ id: id!, event, data: JSON.parse(data) });
          }
        });
        response.on("end", finish);
        response.on("close", finish);
        response.on("error", finish);
        resolve({
          status: response.statusCode!,
          headers: response.headers,
          events,
          comments,
          ended: endedPromise,
          isEnded: () => ended,
          waitForEvents: (count, timeoutMs = 15_000) =>
            waitFor(() => events.length >= count, timeoutMs, `${count} stream events (have ${events.length})`),
          close: () => request.destroy(),
        });
      },
    );
    request.on("error", reject);
  });
}
