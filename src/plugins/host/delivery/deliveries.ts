import type { Logger } from "pino";
import type { PluginScope } from "../containment/plugin-scope.js";
import { PluginQueue } from "./plugin-queue.js";
import { TimeoutClock } from "./timeout-clock.js";

/**
 * What every plugin queue of a registry shares: one coarse clock for handler timeouts, and one start per dispatch
 * burst. Queues that just got work are started together on the next setImmediate rather than in a microtask:
 * microtasks run before the caller's pending I/O (an HTTP reply not yet written), so plugin code would sit inside
 * the request; setImmediate runs it after the reply has gone out, and dispatch() stays cheap for the caller.
 */
export class Deliveries {
  private readonly clock: TimeoutClock;
  private readonly kicked: PluginQueue[] = [];

  constructor(
    private readonly options: { queueLimit: number; handlerTimeoutMs: number; logger: Logger; scope: PluginScope },
  ) {
    this.clock = new TimeoutClock(options.handlerTimeoutMs);
  }

  /** A queue for plugin `name`; its handler calls are timed by the shared clock until the queue is retired. */
  create(name: string): PluginQueue {
    const queue = new PluginQueue(name, {
      limit: this.options.queueLimit,
      handlerTimeoutMs: this.options.handlerTimeoutMs,
      clock: this.clock,
      logger: this.options.logger,
      kick: this.kick,
      scope: this.options.scope,
    });
    this.clock.add(queue);
    return queue;
  }

  retire(queue: PluginQueue): void {
    this.clock.delete(queue);
  }

  stop(): void {
    this.clock.stop();
  }

  private readonly kick = (queue: PluginQueue): void => {
    if (this.kicked.push(queue) === 1) setImmediate(this.runKicked);
  };

  private readonly runKicked = (): void => {
    const queues = this.kicked.splice(0);
    for (const queue of queues) queue.run();
  };
}
