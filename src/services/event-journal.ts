import type { Logger } from "pino";
import { positiveInt, type Env } from "../util/env.js";
import type { CaoDatabase, EventRow } from "../clients/database.js";
import type { CaoEvent } from "../plugins/api/events.js";
import { errorMessage } from "../util/errors.js";
import type { EventSink } from "./event-sink.js";

export type { EventRow };

export const DEFAULT_EVENT_RETENTION = 100_000;

/** Events written per SQLite transaction at most (a burst is split so one commit never holds the loop for long). */
const MAX_BATCH = 5_000;

/**
 * The event journal (docs/contract.md#events): every event the services emit passes through here on its way to the plugins. It gets
 * the next `seq`, its JSON is made once (the same string goes to SQLite and to every stream client), live subscribers
 * hear it at once, and it is appended to SQLite with the other events of the same tick in one transaction (one commit
 * per burst instead of one per event). Reads flush first, so what a reader sees and what subscribers heard never leave
 * a gap between them.
 *
 * Journaling never fails the operation that emitted the event: a storage fault is a WARN, and those events stay
 * delivered to plugins and live clients but are missing from history.
 */
export class EventJournal implements EventSink {
  private lastSeq: number;
  private pending: EventRow[] = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(row: EventRow, event: CaoEvent) => void>();

  constructor(
    private readonly deps: { db: CaoDatabase; downstream: EventSink; logger: Logger },
    private readonly retention = DEFAULT_EVENT_RETENTION,
  ) {
    this.lastSeq = deps.db.lastEventSeq();
  }

  dispatch(event: CaoEvent): void {
    const row = this.record(event);
    this.deps.downstream.dispatch(event);
    if (row) this.publish(row, event);
  }

  /** Hears every journaled event as it is dispatched, in seq order; returns the unsubscriber. */
  subscribe(listener: (row: EventRow, event: CaoEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The highest seq assigned so far (0 before the first event ever). */
  get seq(): number {
    return this.lastSeq;
  }

  /** Up to `limit` events after `since`, oldest first (the journal's own pending events included). */
  after(since: number, limit: number, types?: readonly string[]): EventRow[] {
    this.flush();
    return this.deps.db.eventsAfter(since, limit, types);
  }

  /** The newest `limit` events, oldest first. */
  newest(limit: number, types?: readonly string[]): EventRow[] {
    this.flush();
    return this.deps.db.newestEvents(limit, types);
  }

  /** Writes what is pending now (also done on its own once per tick). */
  flush(): void {
    while (this.pending.length > 0) {
      const batch = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
      this.pending = batch === this.pending ? [] : this.pending.slice(MAX_BATCH);
      try {
        this.deps.db.appendEvents(batch, batch[batch.length - 1]!.seq - this.retention);
      } catch (error) {
        // Keeping them would grow without bound while storage is broken; they were delivered live all the same.
        this.deps.logger.warn(
          { err: error },
          `could not journal ${batch.length} events (seq ${batch[0]!.seq}–${batch[batch.length - 1]!.seq}): ${errorMessage(error)}`,
        );
      }
    }
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }

  private record(event: CaoEvent): EventRow | undefined {
    let json: string;
    let type: unknown;
    try {
      type = event.eventType;
      json = JSON.stringify(event);
    } catch (error) {
      this.deps.logger.warn({ err: error }, `an event could not be journaled: ${errorMessage(error)}`);
      return undefined;
    }
    // A malformed event is the registry's to report (it ignores it with a WARN); it is not journaled either.
    if (typeof type !== "string" || typeof json !== "string" || !json.startsWith("{") || json === "{}")
      return undefined;
    const seq = ++this.lastSeq;
    const row: EventRow = { seq, event_type: type, data: `${json.slice(0, -1)},"seq":${seq}}` };
    this.pending.push(row);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return row;
  }

  private publish(row: EventRow, event: CaoEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(row, event);
      } catch (error) {
        this.deps.logger.warn({ err: error }, `an event stream listener failed: ${errorMessage(error)}`);
      }
    }
  }
}

/** CAO_EVENT_RETENTION; a bad value is a WARN and the default. */
export function retentionFrom(env: Env, logger: Logger): number {
  return positiveInt(env, "CAO_EVENT_RETENTION", DEFAULT_EVENT_RETENTION, logger, "events kept");
}
