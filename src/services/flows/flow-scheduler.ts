import type { Logger } from "pino";
import { errorMessage } from "../../util/errors.js";
import type { FlowService } from "./flow-service.js";

/**
 * The longest the scheduler sleeps: it wakes at the soonest flow's next run, or after this, whichever is first, so
 * a changed system clock (or a suspended machine) delays a run by a minute at most.
 */
const MAX_SLEEP_MS = 60_000;

/**
 * Runs due flows (docs/flows.md#scheduling). It keeps no state of its own: each next run is in the database, so after a
 * restart overdue flows run once and the others at their time. Wakes only when a run is due, never on a fast poll.
 */
export class FlowScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly deps: { flows: FlowService; logger: Logger }) {}

  start(): void {
    this.stopped = false;
    this.arm();
  }

  /** Flows changed (added, removed, enabled, disabled): sleep until the soonest one instead. */
  reschedule(): void {
    if (!this.stopped && !this.ticking) this.arm();
  }

  /** Stops waking; waits for the runs in progress (each ends when its agent is up and prompted, or fails). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private arm(): void {
    clearTimeout(this.timer);
    let soonest: Date | undefined;
    try {
      soonest = this.deps.flows.soonestRun();
      // Nothing enabled: nothing to wake for until a flow changes (reschedule).
      if (soonest === undefined) return;
    } catch (error) {
      this.deps.logger.warn(`flows: cannot read the schedule: ${errorMessage(error)}; trying again in a minute`);
    }
    const delay =
      soonest === undefined ? MAX_SLEEP_MS : Math.min(Math.max(soonest.getTime() - Date.now(), 0), MAX_SLEEP_MS);
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    this.ticking = this.runDue()
      .catch((error: unknown) => this.deps.logger.warn(`flows: a scheduled pass failed: ${errorMessage(error)}`))
      .finally(() => {
        this.ticking = undefined;
        if (!this.stopped) this.arm();
      });
  }

  /** One pass: every flow due now, one after the other. */
  private async runDue(): Promise<void> {
    for (const name of this.deps.flows.due(new Date())) {
      if (this.stopped) return;
      await this.deps.flows.runScheduled(name);
    }
  }
}
