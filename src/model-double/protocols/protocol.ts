import type { ServerResponse } from "node:http";
import type { Conversation, Reply } from "../conversation.js";
import type { Usage } from "../script.js";

/** One wire protocol of the double: reads a request body into a Conversation and writes a Reply back. */
export interface Protocol {
  readonly name: "anthropic" | "openai-responses" | "openai-chat" | "gemini";
  read(body: Record<string, unknown>, url: URL): Conversation;
  /** Writes a text, tool or JSON reply (streamed when the request asked for it); errors go through `errorBody`. */
  write(
    out: ServerResponse,
    reply: Exclude<Reply, { kind: "error" }>,
    conversation: Conversation,
    usage: Usage,
  ): Promise<void>;
  /** The protocol's own error body for an HTTP status. */
  errorBody(status: number, message: string): unknown;
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** `text` cut into `count` pieces of about equal length (at least one piece, never an empty one). */
export function pieces(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(count, text.length));
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

/** Starts a Server-Sent Events answer. */
export function startSse(out: ServerResponse): void {
  out.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
}

export function sseData(out: ServerResponse, data: unknown, event?: string): void {
  out.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
}

export function sendJson(out: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  out.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  out.end(text);
}

/** Streams a text reply piece by piece through `emit`, pausing between pieces. */
export async function streamPieces(
  reply: Extract<Reply, { kind: "text" }>,
  emit: (piece: string) => void,
): Promise<void> {
  const parts = pieces(reply.text, reply.chunks);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) await sleep(reply.chunkDelayMs);
    emit(parts[i]!);
  }
}
