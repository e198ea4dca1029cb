import type { Logger } from "pino";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { CaoDatabase } from "../clients/database.js";
import type { EventJournal } from "../services/event-journal.js";
import { errorMessage } from "../util/errors.js";
import type { ConnectionUser } from "./connection.js";
import { toFleetMessage } from "./cloud-event.js";
import { ensureEventStream, lastPublishedSeq } from "./event-stream.js";

/** Events published per round at most; they are in flight together on the one connection. */
const BATCH = 256;
const ACK_TIMEOUT_MS = 10_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;

export interface EventPublisherDeps {
  host: string;
  journal: EventJournal;
  db: CaoDatabase;
  logger: Logger;
  /** Where a host that never published starts: the journal's seq when this server decided to join. */
  startSeq: number;
}

/**
 * Follows the event journal by seq and publishes each event to the CAO_EVENTS stream (docs/fleet.md#events): in seq
 * order, each once (`Nats-Msg-Id` = `<host>:<seq>`), resuming after the last one the stream acknowledged. The
 * journal is the outbox: while NATS is down nothing is queued in memory, the events wait in SQLite.
 *
 * Exactly once, in order, across failures: all of a round goes out on one connection, so what the stream stored is
 * a prefix of it; the cursor moves only over acknowledged events; and on every new connection the cursor is checked
 * against the stream itself (the last message on `cao.events.<host>.>`), which covers acknowledgements that were lost
 * (the stream is ahead: skip those) and a NATS server that lost messages it had acknowledged (the stream is behind:
 * publish them again). A round that fails part way is resumed from the same check.
 */
export class EventPublisher implements ConnectionUser {
  private cursor: number;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  /** Bumped on every attach and detach: a round of an older connection stops at its next step. */
  private epoch = 0;
  private pumping = false;
  private again = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private maxPayload = Infinity;
  private warnedAhead = false;
  /** A failure is logged once, not once per retry; the next success says it recovered. */
  private failing = false;

  constructor(private readonly deps: EventPublisherDeps) {
    this.cursor = this.readCursor();
  }

  /** Starts following the journal (before any connection: the cursor is recorded at once). */
  start(): void {
    this.unsubscribe ??= this.deps.journal.subscribe(() => this.kick());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.detach();
  }

  /** The seq of the last event the stream acknowledged. */
  get published(): number {
    return this.cursor;
  }

  /** Waits (at most `timeoutMs`) until every journaled event is published, when connected: a clean shutdown's last say. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.js && this.cursor < this.deps.journal.seq && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
  }

  async attach(nc: NatsConnection): Promise<void> {
    const epoch = ++this.epoch;
    const jsm = await jetstreamManager(nc, { timeout: ACK_TIMEOUT_MS });
    await ensureEventStream(jsm, this.deps.logger);
    if (epoch !== this.epoch) return;
    this.jsm = jsm;
    this.js = jetstream(nc, { timeout: ACK_TIMEOUT_MS });
    this.maxPayload = nc.info?.max_payload ?? Infinity;
    await this.resync(epoch);
    this.retryMs = FIRST_RETRY_MS;
    this.kick();
  }

  detach(): void {
    this.epoch++;
    this.js = undefined;
    this.jsm = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private kick(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((error: unknown) => this.deps.logger.warn(`fleet: publishing events stopped: ${errorMessage(error)}`))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    const { journal, host, logger } = this.deps;
    const epoch = this.epoch;
    const js = this.js;
    while (js && epoch === this.epoch && this.cursor < journal.seq) {
      const rows = journal.after(this.cursor, BATCH);
      const first = rows[0]?.seq ?? journal.seq + 1;
      if (first > this.cursor + 1) {
        // Pruned by retention before NATS came back, or never journaled (a storage fault): nothing left to send.
        const last = Math.min(first - 1, journal.seq);
        logger.warn(
          `fleet: events ${this.cursor + 1}–${last} of this host are no longer in the journal and cannot be published`,
        );
        this.advance(last);
        continue;
      }
      const results = await Promise.allSettled(
        rows.map((row) => {
          const message = toFleetMessage(host, row, this.maxPayload);
          return js.publish(message.subject, message.payload, { msgID: message.id });
        }),
      );
      let failure: unknown;
      let acked = this.cursor;
      for (const [i, result] of results.entries()) {
        if (result.status === "rejected") {
          failure = result.reason;
          break;
        }
        acked = rows[i]!.seq;
      }
      if (epoch !== this.epoch) return; // that connection is gone: the next one starts with a check of the stream
      this.advance(acked);
      if (failure !== undefined) {
        if (!this.failing)
          logger.warn(`fleet: publishing event ${acked + 1} failed (${errorMessage(failure)}); trying again`);
        this.failing = true;
        this.retryLater(epoch);
        return;
      }
      if (this.failing) logger.info(`fleet: publishing events again (up to seq ${acked})`);
      this.failing = false;
      this.retryMs = FIRST_RETRY_MS;
    }
  }

  /** After a failed round: check the stream again (it may hold more than was acknowledged), then go on. */
  private retryLater(epoch: number): void {
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      void this.resync(epoch)
        .catch((error: unknown) => this.deps.logger.warn(`fleet: cannot read the event stream: ${errorMessage(error)}`))
        .finally(() => {
          if (epoch === this.epoch) this.kick();
        });
    }, wait);
    this.retryTimer.unref();
  }

  /** Takes the stream's own last event of this host as the truth about what was published. */
  private async resync(epoch: number): Promise<void> {
    const jsm = this.jsm;
    if (!jsm) return;
    const last = await lastPublishedSeq(jsm, this.deps.host);
    if (epoch !== this.epoch || last === undefined || last === this.cursor) return;
    const { journal, logger, host } = this.deps;
    if (last > journal.seq) {
      if (!this.warnedAhead)
        logger.warn(
          `fleet: the stream already holds events of host ${host} up to seq ${last}, beyond this journal's ${journal.seq}: another server uses the name ${host}, or this CAO_HOME is new; give each server its own fleet.host`,
        );
      this.warnedAhead = true;
      return;
    }
    if (last < this.cursor)
      logger.warn(
        `fleet: the stream lacks events ${last + 1}–${this.cursor} of this host that it had acknowledged (NATS lost them); publishing them again`,
      );
    this.cursor = last;
    this.persist();
  }

  private advance(seq: number): void {
    if (seq <= this.cursor) return;
    this.cursor = seq;
    this.persist();
  }

  private readCursor(): number {
    const { db, host, startSeq, logger } = this.deps;
    try {
      const saved = db.fleetCursor(host);
      if (saved !== undefined) return saved;
      db.setFleetCursor(host, startSeq);
    } catch (error) {
      logger.warn(`fleet: cannot read or record the publishing cursor: ${errorMessage(error)}`);
    }
    return startSeq;
  }

  private persist(): void {
    try {
      this.deps.db.setFleetCursor(this.deps.host, this.cursor);
    } catch (error) {
      // The stream's own last message corrects the cursor on the next connection; nothing is published twice.
      this.deps.logger.warn(`fleet: cannot record the publishing cursor: ${errorMessage(error)}`);
    }
  }
}
