import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { EventJournal, EventRow } from "../services/event-journal.js";

export interface StreamLimits {
  /** Frames not yet handed to the socket before the client is dropped (docs/contract.md#events: 1,000). */
  maxEvents: number;
  /** Bytes not yet sent (ours plus the socket's buffer) before the client is dropped (1 MB). */
  maxBytes: number;
  /** A comment line this often keeps proxies from closing an idle stream (15 s). */
  keepAliveMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxEvents: 1000, maxBytes: 1024 * 1024, keepAliveMs: 15_000 };

/** Journal rows read per query while replaying: a long replay never holds the event loop for one big read. */
const REPLAY_PAGE = 500;

/**
 * One `GET /events` client. It subscribes to the journal before it reads anything from it, so nothing dispatched
 * meanwhile can fall between the replay and the live stream; what was both read and heard is sent once (by seq).
 *
 * Writes never wait: while the socket refuses more (res.write returned false) frames are queued, and a client whose
 * queue passes the limits is disconnected (it resumes with Last-Event-ID). So a stalled client costs at most ~1 MB
 * and never slows the dispatching of events.
 */
export class SseSubscription {
  private lastSent: number;
  private replaying: boolean;
  /** Live events heard while the replay runs. */
  private heldLive: EventRow[] = [];
  private heldBytes = 0;
  private queue: string[] = [];
  private queuedBytes = 0;
  private blocked = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly keepAlive: NodeJS.Timeout;
  private drained: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly journal: EventJournal,
    private readonly options: {
      since: number | undefined;
      types: readonly string[] | undefined;
      limits: StreamLimits;
      logger: Logger;
      onClose: () => void;
    },
  ) {
    const types = options.types ? new Set(options.types) : undefined;
    this.unsubscribe = journal.subscribe((row) => {
      if (types === undefined || types.has(row.event_type)) this.heard(row);
    });
    this.replaying = options.since !== undefined;
    this.lastSent = options.since ?? journal.seq;
    res.on("close", () => this.close());
    res.on("drain", () => this.flushQueue());
    res.on("error", () => this.close());
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    // Sent at once: the client knows it is subscribed (what happens from now on will reach it).
    this.write(`: subscribed at seq ${journal.seq}\n\n`);
    this.keepAlive = setInterval(() => this.write(": keep-alive\n\n"), options.limits.keepAliveMs);
    this.keepAlive.unref();
    if (this.replaying) void this.replay();
  }

  /** Ends the stream (server shutdown). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    this.close();
  }

  private heard(row: EventRow): void {
    if (this.closed) return;
    if (!this.replaying) {
      this.send(row);
      return;
    }
    this.heldLive.push(row);
    this.heldBytes += row.data.length;
    const { maxEvents, maxBytes } = this.options.limits;
    if (this.heldLive.length > maxEvents || this.heldBytes > maxBytes)
      this.drop("events arrived faster than its replay was read");
  }

  /** Sends the journal from `since`, page by page, waiting for the socket between frames it refused; then goes live. */
  private async replay(): Promise<void> {
    const types = this.options.types;
    try {
      for (;;) {
        const rows = this.journal.after(this.lastSent, REPLAY_PAGE, types);
        for (const row of rows) {
          if (this.closed) return;
          this.send(row);
          if (this.blocked) await new Promise<void>((resolve) => (this.drained = resolve));
        }
        if (this.closed) return;
        if (rows.length < REPLAY_PAGE) break;
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, `event stream replay failed: ${(error as Error).message}`);
      this.res.destroy();
      this.close();
      return;
    }
    // From here to the end nothing awaits: the held events and every later one go out in seq order.
    this.replaying = false;
    const held = this.heldLive;
    this.heldLive = [];
    this.heldBytes = 0;
    for (const row of held) this.send(row);
  }

  private send(row: EventRow): void {
    if (row.seq <= this.lastSent) return; // read in the replay and heard live: once is enough
    this.lastSent = row.seq;
    this.write(`id: ${row.seq}\nevent: ${row.event_type}\ndata: ${row.data}\n\n`);
  }

  private write(frame: string): void {
    if (this.closed) return;
    if (!this.blocked) {
      if (!this.res.write(frame)) this.blocked = true;
      return;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    const { maxEvents, maxBytes } = this.options.limits;
    if (this.queue.length > maxEvents || this.queuedBytes + this.res.writableLength > maxBytes)
      this.drop("it stopped reading");
  }

  private flushQueue(): void {
    if (this.closed) return;
    this.blocked = false;
    if (this.queue.length > 0) {
      const frames = this.queue.join("");
      this.queue = [];
      this.queuedBytes = 0;
      if (!this.res.write(frames)) this.blocked = true;
    }
    if (!this.blocked) {
      const resume = this.drained;
      this.drained = undefined;
      resume?.();
    }
  }

  private drop(why: string): void {
    this.options.logger.warn(
      { component: "events" },
      `event stream client disconnected: ${why} (backlog over ${this.options.limits.maxEvents} events or ${this.options.limits.maxBytes} bytes); it can resume with Last-Event-ID`,
    );
    this.res.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.keepAlive);
    this.queue = [];
    this.heldLive = [];
    const resume = this.drained;
    this.drained = undefined;
    resume?.();
    this.options.onClose();
  }
}
