import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { NotFoundError } from "../util/errors.js";

export interface ScreenStreamOptions {
  /** The terminal's visible screen now; NotFoundError once the terminal is gone. */
  capture: () => Promise<string>;
  /** Subscribes to "this pane printed something" (PaneActivity); returns the unsubscriber. */
  onActivity: (listener: () => void) => () => void;
  /** A capture this often even without activity: a resize, or a platform where the log cannot be watched. */
  pollMs: number;
  /** Captures at most this often, however fast the agent prints (a spinner prints ~12 times a second). */
  minIntervalMs: number;
  keepAliveMs: number;
  logger: Logger;
  onClose: () => void;
}

/**
 * One `GET /terminals/:id/screen` client (docs/contract.md#routes): the pane's visible text as Server-Sent Events,
 * sent when it changed. Read-only: nothing the client sends reaches the pane. A capture is taken when the pane prints
 * (the terminal log the server already watches) and on a slow poll; a client that does not keep up is never queued
 * for: the next frame is simply taken once its socket drained, so it always gets the newest screen.
 */
export class ScreenStream {
  private last: string | undefined;
  private capturing = false;
  private dirty = false;
  private blocked = false;
  private closed = false;
  private lastCaptureAt = 0;
  private delayed: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: ScreenStreamOptions,
  ) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.on("close", () => this.close());
    res.on("error", () => this.close());
    res.on("drain", () => {
      this.blocked = false;
      if (this.dirty) this.refresh();
    });
    this.unsubscribe = options.onActivity(() => this.refresh());
    const poll = setInterval(() => this.refresh(), options.pollMs);
    const keepAlive = setInterval(() => this.write(": keep-alive\n\n"), options.keepAliveMs);
    this.timers = [poll, keepAlive];
    for (const timer of this.timers) timer.unref();
    this.refresh();
  }

  /** Ends the stream (server shutdown). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    this.close();
  }

  private refresh(): void {
    if (this.closed) return;
    if (this.capturing || this.blocked || this.delayed) {
      this.dirty = true;
      return;
    }
    const wait = this.lastCaptureAt + this.options.minIntervalMs - Date.now();
    if (wait > 0) {
      this.delayed = setTimeout(() => {
        this.delayed = undefined;
        this.refresh();
      }, wait);
      return;
    }
    this.dirty = false;
    this.capturing = true;
    this.lastCaptureAt = Date.now();
    this.options
      .capture()
      .then(
        (screen) => {
          if (screen === this.last) return;
          this.last = screen;
          this.write(`event: screen\ndata: ${JSON.stringify({ screen })}\n\n`);
        },
        (error: unknown) => {
          if (error instanceof NotFoundError) {
            this.write(`event: gone\ndata: ${JSON.stringify({ detail: error.message })}\n\n`);
            this.end();
            return;
          }
          // tmux busy or briefly unavailable: the next activity or poll tries again.
          this.options.logger.debug({ err: error }, `screen capture failed: ${(error as Error).message}`);
        },
      )
      .finally(() => {
        this.capturing = false;
        if (this.dirty && !this.closed) this.refresh();
      });
  }

  private write(frame: string): void {
    if (this.closed) return;
    if (!this.res.write(frame)) this.blocked = true;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearInterval(timer);
    if (this.delayed) clearTimeout(this.delayed);
    this.options.onClose();
  }
}
