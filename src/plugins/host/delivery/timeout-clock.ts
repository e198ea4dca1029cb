/**
 * One coarse clock for every handler timeout of a registry. Arming a timer per handler call would cost more than
 * the call itself; instead a queue notes the current tick when an async handler starts, and this interval (unref'd,
 * so it never keeps the process alive) ticks and asks each queue whether its in-flight handler is overdue.
 * A timeout therefore fires between `timeoutMs` and `timeoutMs + periodMs` after the handler started.
 */
export interface Timed {
  checkOverdue(tick: number): void;
}

export class TimeoutClock {
  tick = 0;
  readonly periodMs: number;
  private readonly timed = new Set<Timed>();
  private timer: NodeJS.Timeout | undefined;

  constructor(shortestTimeoutMs: number) {
    this.periodMs = Math.min(250, Math.max(5, Math.floor(shortestTimeoutMs / 10)));
  }

  /** Ticks a timeout needs to have surely elapsed, counting the partial tick at the start. */
  ticksFor(timeoutMs: number): number {
    return Math.ceil(timeoutMs / this.periodMs) + 1;
  }

  add(item: Timed): void {
    this.timed.add(item);
    if (!this.timer) {
      this.timer = setInterval(() => this.onTick(), this.periodMs);
      this.timer.unref();
    }
  }

  delete(item: Timed): void {
    this.timed.delete(item);
    if (this.timed.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private onTick(): void {
    this.tick++;
    for (const item of this.timed) item.checkOverdue(this.tick);
  }
}
