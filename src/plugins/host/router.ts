import type { CaoEvent } from "../api/events.js";
import type { ActiveEntry } from "./catalog.js";
import type { PluginQueue } from "./delivery/plugin-queue.js";

/**
 * Which queues hear which event type: a table rebuilt whenever the set of active plugins changes, so routing an event
 * is one map lookup. A queue whose plugin is being swapped for a new version is held instead: it receives every event,
 * whatever its type, until the new version's hooks are known (its queue then skips what the new version does not hook).
 */
export class Router {
  private table = new Map<string, readonly PluginQueue[]>();
  private held: PluginQueue[] = [];

  /** Whether an event of `type` reaches anybody (the caller may skip preparing it otherwise). */
  listens(type: string): boolean {
    return this.held.length > 0 || this.table.has(type);
  }

  route(event: CaoEvent): void {
    const queues = this.table.get(event.eventType);
    if (queues !== undefined) for (let i = 0; i < queues.length; i++) queues[i]!.push(event);
    for (let i = 0; i < this.held.length; i++) this.held[i]!.push(event);
  }

  /** Linear in the number of plugins: it runs once per plugin loaded, so anything more would be quadratic at start-up. */
  rebuild(active: readonly ActiveEntry[]): void {
    const table = new Map<string, PluginQueue[]>();
    for (const { queue } of active) {
      if (this.held.includes(queue)) continue;
      for (const type of queue.eventTypes()) {
        const queues = table.get(type);
        if (queues) queues.push(queue);
        else table.set(type, [queue]);
      }
    }
    this.table = table;
  }

  /** From now on `queue` gets every event (and only through here: it leaves the table, so nothing arrives twice). */
  hold(queue: PluginQueue): void {
    if (this.held.includes(queue)) return;
    this.held = [...this.held, queue];
    const table = new Map<string, readonly PluginQueue[]>();
    for (const [type, queues] of this.table) {
      const rest = queues.filter((q) => q !== queue);
      if (rest.length > 0) table.set(type, rest);
    }
    this.table = table;
  }

  /** Back to routing by type, with the hooks `queue` has now. */
  release(queue: PluginQueue, active: readonly ActiveEntry[]): void {
    this.held = this.held.filter((q) => q !== queue);
    this.rebuild(active);
  }

  clear(): void {
    this.table = new Map();
    this.held = [];
  }
}
