import type { PluginStats as QueueStats } from "../../../contract/api.js";
import type { Logger } from "pino";
import type { CaoEvent } from "../../api/events.js";
import type { PluginScope } from "../containment/plugin-scope.js";
import type { HandlerEntry } from "../loading/recognise.js";
import { errorMessage } from "../../../util/errors.js";
import { AbandonedCall } from "./abandoned-call.js";
import type { TimeoutClock, Timed } from "./timeout-clock.js";

export interface QueueOptions {
  /** Most events waiting for this plugin; beyond it new events are dropped (counted, warned). */
  limit: number;
  handlerTimeoutMs: number;
  clock: TimeoutClock;
  logger: Logger;
  /** Called once when the queue goes from idle to having work; the registry starts such queues together, once per
   * dispatch burst, on the next setImmediate. */
  kick: (queue: PluginQueue) => void;
  /** Entered once per run of the delivery loop (not per handler call), so what the handlers start is attributed. */
  scope?: PluginScope;
}

/** Delivery counts of one plugin's queue (the contract's PluginStats). */
export type { PluginStats as QueueStats } from "../../../contract/api.js";

/** Sync handlers run back to back; after this many the loop yields to I/O so a long backlog cannot starve it. */
const SYNC_BUDGET = 1000;

/**
 * Delivers events to one plugin, strictly in emission order: the next handler starts only when the previous one
 * settled, failed or timed out. Queues never wait for each other. The loop is callback-driven (no async/await,
 * no timer per call) because this is the hot path: an async handler costs one `then`.
 *
 * The queue outlives the plugin instance it feeds: on hot reload the registry pauses it, swaps the handlers and
 * resumes it, so events dispatched meanwhile wait here and reach the new version exactly once, in order.
 */
export class PluginQueue implements Timed {
  readonly name: string;
  private readonly options: QueueOptions;
  private byType = new Map<string, readonly HandlerEntry[]>();
  private events: (CaoEvent | undefined)[] = [];
  private head = 0;
  /** Handlers of the event at `head` while it is being delivered; undefined between events. */
  private current: readonly HandlerEntry[] | undefined;
  private index = 0;
  private active = false;
  private paused = false;
  private token = 0;
  private inflight: HandlerEntry | undefined;
  private inflightTick = 0;
  private readonly timeoutTicks: number;
  private droppedInEpisode = 0;
  private idleWaiters: (() => void)[] = [];
  private pauseWaiters: (() => void)[] = [];
  readonly stats = { delivered: 0, failed: 0, timedOut: 0, dropped: 0 };

  constructor(name: string, options: QueueOptions) {
    this.name = name;
    this.options = options;
    this.timeoutTicks = options.clock.ticksFor(options.handlerTimeoutMs);
    const scope = options.scope;
    this.run = scope?.tracking ? () => scope.run(this.name, this.deliver) : this.deliver;
  }

  get pending(): number {
    return this.events.length - this.head;
  }

  snapshot(): QueueStats {
    return { ...this.stats, pending: this.pending };
  }

  /** Replace the handlers; takes effect from the next event on. */
  setHandlers(handlers: readonly HandlerEntry[]): void {
    const byType = new Map<string, HandlerEntry[]>();
    for (const handler of handlers) {
      const list = byType.get(handler.eventType);
      if (list) list.push(handler);
      else byType.set(handler.eventType, [handler]);
    }
    this.byType = byType;
  }

  eventTypes(): string[] {
    return [...this.byType.keys()];
  }

  push(event: CaoEvent): void {
    if (this.events.length - this.head >= this.options.limit) {
      this.stats.dropped++;
      if (this.droppedInEpisode++ === 0) {
        this.options.logger.warn(
          { plugin: this.name, limit: this.options.limit, eventType: event.eventType },
          `plugin "${this.name}" is ${this.options.limit} events behind; new events for it are dropped until it catches up`,
        );
      }
      return;
    }
    this.events.push(event);
    if (!this.active && !this.paused) {
      this.active = true;
      this.options.kick(this);
    }
  }

  /** Entry point of the delivery loop (also re-entered after each async handler settles). */
  readonly run: () => void;

  private readonly deliver = (): void => {
    let budget = SYNC_BUDGET;
    for (;;) {
      if (this.current === undefined) {
        if (this.paused || this.head >= this.events.length) return this.becomeIdle();
        this.current = this.byType.get(this.events[this.head]!.eventType) ?? [];
        this.index = 0;
      }
      if (this.index >= this.current.length) {
        this.finishEvent();
        continue;
      }
      const handler = this.current[this.index]!;
      if (handler.ready !== undefined) {
        // A worker plugin being restarted: wait for it before calling, so the wait does not count as handler time.
        const wait = handler.ready();
        if (wait !== undefined) return void wait.then(this.run, this.run);
      }
      this.index++;
      const event = this.events[this.head]!;
      let result: unknown;
      try {
        result = handler.fn.call(handler.thisArg, event, handler.context);
      } catch (error) {
        this.fail(handler, event, error);
        continue;
      }
      if (
        result !== null &&
        typeof result === "object" &&
        typeof (result as PromiseLike<unknown>).then === "function"
      ) {
        const token = ++this.token;
        this.inflight = handler;
        this.inflightTick = this.options.clock.tick;
        (result as PromiseLike<unknown>).then(
          () => this.settle(token),
          (error: unknown) => this.reject(token, error),
        );
        return;
      }
      this.stats.delivered++;
      if (--budget === 0) {
        setImmediate(this.run);
        return;
      }
    }
  };

  checkOverdue(tick: number): void {
    if (this.inflight === undefined || tick - this.inflightTick < this.timeoutTicks) return;
    const handler = this.inflight;
    this.token++; // whatever the abandoned promise does later is ignored
    this.inflight = undefined;
    this.stats.timedOut++;
    const event = this.events[this.head]!;
    this.options.logger.warn(
      {
        plugin: this.name,
        handler: handler.name,
        eventType: event.eventType,
        timeoutMs: this.options.handlerTimeoutMs,
      },
      `plugin "${this.name}" handler ${handler.name} timed out after ${this.options.handlerTimeoutMs} ms on ${event.eventType}`,
    );
    handler.abandon?.();
    this.run();
  }

  /** Stop at the next event boundary; resolves once no event is being delivered. */
  pause(): Promise<void> {
    this.paused = true;
    if (this.current === undefined) return Promise.resolve();
    return new Promise((resolve) => this.pauseWaiters.push(resolve));
  }

  resume(): void {
    this.paused = false;
    if (!this.active && this.head < this.events.length) {
      this.active = true;
      this.options.kick(this);
    }
  }

  /** Resolves when everything queued has been delivered (a paused queue with events is not idle). */
  whenIdle(): Promise<void> {
    if (!this.active && this.head >= this.events.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forget queued events once paused (the plugin is gone); returns how many were discarded. */
  clear(): number {
    if (this.current !== undefined) throw new Error("pause the queue before clearing it");
    const discarded = this.pending;
    this.events = [];
    this.head = 0;
    this.flush(this.idleWaiters);
    return discarded;
  }

  private settle(token: number): void {
    if (token !== this.token) return;
    this.inflight = undefined;
    this.stats.delivered++;
    this.run();
  }

  private reject(token: number, error: unknown): void {
    if (token !== this.token) {
      this.options.logger.debug(
        { plugin: this.name, err: error },
        `late rejection from a timed-out handler of "${this.name}"`,
      );
      return;
    }
    const handler = this.inflight!;
    this.inflight = undefined;
    if (error instanceof AbandonedCall)
      this.stats.timedOut++; // its plugin's host already said why
    else this.fail(handler, this.events[this.head]!, error);
    this.run();
  }

  private fail(handler: HandlerEntry, event: CaoEvent, error: unknown): void {
    this.stats.failed++;
    this.options.logger.warn(
      { plugin: this.name, handler: handler.name, eventType: event.eventType, err: error },
      `plugin "${this.name}" handler ${handler.name} failed on ${event.eventType}: ${errorMessage(error)}`,
    );
  }

  private finishEvent(): void {
    this.events[this.head++] = undefined; // release the event for GC while the backlog drains
    this.current = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  private becomeIdle(): void {
    this.active = false;
    if (this.head >= this.events.length) {
      this.events = [];
      this.head = 0;
      if (this.droppedInEpisode > 0) {
        this.options.logger.warn(
          { plugin: this.name, dropped: this.droppedInEpisode },
          `plugin "${this.name}" caught up; ${this.droppedInEpisode} events were dropped while its queue was full`,
        );
        this.droppedInEpisode = 0;
      }
      this.flush(this.idleWaiters);
    }
    this.flush(this.pauseWaiters);
  }

  private flush(waiters: (() => void)[]): void {
    const list = waiters.splice(0);
    for (const resolve of list) resolve();
  }
}
