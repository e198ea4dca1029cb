import type { Logger } from "pino";
import {
  INBOX_STATUSES,
  isInboxStatus,
  type CaoDatabase,
  type InboxRecord,
  type TerminalRecord,
} from "../clients/database.js";
import { InboxMessageDeliveredEvent, InboxMessageFailedEvent, InboxMessageQueuedEvent } from "../plugins/api/events.js";
import { errorMessage } from "../util/errors.js";
import { ConflictError } from "../util/errors.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import type { EventSink } from "./event-sink.js";
import { assertMessage, assertTerminalId, ValidationError } from "../util/validate.js";
import { OPEN_GATE, type OperationGate } from "./operation-gate.js";
import type { PaneActivity } from "./pane-activity.js";
import type { TerminalService } from "./terminal-service.js";
import { admitMessage } from "./terminals/input.js";

export { INBOX_STATUSES };

export interface InboxOptions {
  /** Safety poll while messages wait (default 1000 ms); deliveries are driven by the receivers' pane output. */
  pollMs?: number;
  /** Typing attempts before a message is marked failed (default 5). */
  maxAttempts?: number;
}

/** The tmux buffer a message is staged in; its presence after a crash tells whether the message was typed. */
export function inboxBufferName(messageId: number): string {
  return `cao-inbox-${messageId}`;
}

/** What the inbox remembers of one receiver's last delivery. */
interface LastDelivery {
  /** Pane-log size just before the message was typed: the receiver must print past it before the next one. */
  logSize: number;
  at: number;
}

/**
 * The inbox (send_message): messages are committed before they are acknowledged, then typed into the receiver, oldest
 * first, one at a time, when it is idle.
 *
 * Delivery is driven by the receiver's own output: each terminal's pane log is watched (PaneActivity), and a receiver
 * is checked when it prints, when a message arrives for it, and on a slow safety poll. After typing, the next message
 * waits until the receiver has printed past what it showed before (so a prompt still on screen from before the last
 * message is never taken for "idle again"), then for its prompt.
 *
 * Typing is crash-safe ("effectively once"): the text is staged in a named tmux buffer, the message is marked
 * `delivering`, then one tmux command pastes and deletes the buffer. After a crash, a message still marked
 * delivering whose buffer is gone was typed (it is marked delivered); one whose buffer is still there was not (it
 * waits again).
 */
export class InboxService {
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  /** One check of a receiver at a time; a trigger during a check asks for one more. */
  private readonly checks = new KeyedSerial();
  private readonly lastDelivery = new Map<string, LastDelivery>();
  /** Receivers with pending messages, so pane activity of everyone else costs one Set lookup. */
  private readonly waiting = new Set<string>();
  private poll: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = true;

  constructor(
    private readonly deps: {
      db: CaoDatabase;
      terminals: TerminalService;
      logger: Logger;
      sink: EventSink;
      activity?: PaneActivity;
      gate?: OperationGate;
    },
    options: InboxOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 5;
    // The inbox alone fails its rows: when a receiver's agent exits, and when a receiver is gone. (For the server's
    // lifetime: the terminals live as long as the inbox.)
    deps.terminals.signals.on("exited", ({ record, reason }) => this.failPending(record, reason));
    deps.terminals.signals.on("gone", ({ record, why }) => this.failPending(record, why));
  }

  /** Fails `receiver`'s pending messages, with one inbox_message_failed for each this call failed. */
  private failPending(receiver: TerminalRecord, reason: string): void {
    for (const failed of this.deps.db.failPendingFor(receiver.id, reason)) {
      this.reportFailed(failed.id, failed.sender_id, failed.receiver_id, reason, receiver.session_name);
    }
  }

  /**
   * Accepts a message for `receiverId`: checked, passed through pre_send_message interceptors (at acceptance, so the
   * sender learns of a denial at once), then committed. A denied message leaves no row.
   */
  async post(receiverId: string, senderId: string, message: string): Promise<InboxRecord> {
    assertTerminalId(senderId);
    assertMessage(message);
    const receiver = this.deps.terminals.record(receiverId); // 404 for an unknown receiver, before anything is stored
    const exited = this.deps.terminals.exitReason(receiverId);
    if (exited !== undefined) throw new ConflictError(`terminal ${receiverId} takes no messages: ${exited}`);
    // Interceptors see the message at acceptance, so the sender learns of a denial at once; a change must still be typeable.
    message = await admitMessage(this.deps.gate ?? OPEN_GATE, {
      sessionId: receiver.session_name,
      sender: senderId,
      receiver: receiverId,
      message,
      orchestrationType: "send_message",
    });
    const record = this.deps.db.insertMessage(senderId, receiverId, message, new Date().toISOString());
    this.deps.sink.dispatch(
      new InboxMessageQueuedEvent({
        sessionId: receiver.session_name,
        messageId: record.id,
        sender: senderId,
        receiver: receiverId,
        message,
      }),
    );
    this.waiting.add(receiverId);
    this.kick(receiverId);
    return record;
  }

  list(receiverId: string, options: { limit?: number; status?: string }): InboxRecord[] {
    assertTerminalId(receiverId);
    this.deps.terminals.record(receiverId);
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ValidationError("limit must be an integer from 1 to 1000");
    const { status } = options;
    if (status !== undefined && !isInboxStatus(status))
      throw new ValidationError(`status must be one of ${INBOX_STATUSES.join(", ")}`);
    return this.deps.db.listMessages(receiverId, { limit, ...(status ? { status } : {}) });
  }

  /** Settles deliveries a previous run left half done, then resumes every receiver's queue. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.recoverInterruptedDeliveries();
    this.unsubscribe = this.deps.activity?.onActivity((terminalId) => {
      if (this.waiting.has(terminalId)) this.kick(terminalId);
    });
    this.kickAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.poll);
    this.poll = undefined;
    await this.checks.stop();
  }

  /**
   * The receiver's agent reported through its own hook that its turn ended (docs/agent-hooks.md): check its pending
   * messages now rather than at the next sign of pane activity. Delivery still waits for a screen that takes input.
   */
  turnEnded(receiverId: string): void {
    if (this.waiting.has(receiverId)) this.kick(receiverId);
  }

  private kickAll(): void {
    for (const receiver of this.deps.db.receiversWithPending()) {
      this.waiting.add(receiver);
      this.kick(receiver);
    }
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.stopped || this.poll || this.waiting.size === 0) return;
    this.poll = setTimeout(() => {
      this.poll = undefined;
      if (this.stopped) return;
      try {
        this.kickAll();
      } catch (error) {
        this.deps.logger.warn({ err: error }, `inbox poll failed: ${errorMessage(error)}`);
        this.schedulePoll();
      }
    }, this.pollMs);
    this.poll.unref();
  }

  /** Checks one receiver now, or right after the check already running for it. */
  private kick(receiverId: string): void {
    if (this.stopped) return;
    void this.checks.request(receiverId, () => this.serve(receiverId));
  }

  /** One check of a receiver; never rejects (a failure is logged, and the next trigger or poll tries again). */
  private async serve(receiverId: string): Promise<void> {
    try {
      await this.deliverNext(receiverId);
    } catch (error) {
      this.deps.logger.warn(
        { err: error, receiver: receiverId },
        `inbox delivery to ${receiverId} failed: ${errorMessage(error)}`,
      );
    }
    this.schedulePoll();
  }

  private async deliverNext(receiverId: string): Promise<void> {
    const { db, terminals } = this.deps;
    const record = db.getTerminal(receiverId);
    if (!record) {
      for (const failed of db.failPendingFor(receiverId, "the receiving terminal no longer exists")) {
        this.reportFailed(
          failed.id,
          failed.sender_id,
          failed.receiver_id,
          "the receiving terminal no longer exists",
          null,
        );
      }
      this.forgetReceiver(receiverId);
      return;
    }
    const message = db.oldestPending(receiverId);
    if (!message) {
      this.forgetReceiver(receiverId);
      return;
    }
    if (!(await this.readyForNext(record))) return;
    const logSize = terminals.logSize(receiverId);
    let typed: string;
    try {
      typed = await terminals.typeStaged(receiverId, message.message, {
        buffer: inboxBufferName(message.id),
        senderId: message.sender_id,
        beforePaste: () => {
          if (!db.beginDelivery(message.id, new Date().toISOString()))
            throw new Error(`message ${message.id} is no longer pending`);
        },
      });
    } catch (error) {
      this.recordFailedAttempt(message, errorMessage(error));
      return;
    }
    this.lastDelivery.set(receiverId, { logSize, at: Date.now() });
    if (db.markDelivered(message.id, new Date().toISOString()))
      this.reportDelivered(message, typed, record.session_name);
  }

  /** inbox_message_delivered, then the message_sent it is followed by (docs/contract.md#events). */
  private reportDelivered(message: InboxRecord, typed: string, sessionId: string | null): void {
    this.deps.sink.dispatch(
      new InboxMessageDeliveredEvent({
        sessionId,
        messageId: message.id,
        sender: message.sender_id,
        receiver: message.receiver_id,
      }),
    );
    this.deps.terminals.reportTyped(message.receiver_id, typed, message.sender_id, "send_message");
  }

  private reportFailed(
    messageId: number,
    sender: string,
    receiver: string,
    reason: string,
    sessionId: string | null,
  ): void {
    this.deps.sink.dispatch(new InboxMessageFailedEvent({ sessionId, messageId, sender, receiver, reason }));
  }

  private sessionOf(terminalId: string): string | null {
    try {
      return this.deps.db.getTerminal(terminalId)?.session_name ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Whether the receiver may get its next message now: it has printed past what it showed when the last message was
   * typed (or a poll period passed, for a pane whose log is not growing), its log ends with its prompt, and its
   * screen reads idle or completed.
   */
  private async readyForNext(record: TerminalRecord): Promise<boolean> {
    const { terminals } = this.deps;
    const last = this.lastDelivery.get(record.id);
    if (last !== undefined) {
      const reacted = terminals.logSize(record.id) > last.logSize;
      if (!reacted && Date.now() - last.at < this.pollMs) return false;
    }
    if (terminals.idleByLogTail(record) === false) return false;
    const status = await terminals.statusOf(record);
    return status === "idle" || status === "completed";
  }

  private recordFailedAttempt(message: InboxRecord, reason: string): void {
    const { db, logger } = this.deps;
    if (message.attempts + 1 >= this.maxAttempts) {
      if (db.markFailed(message.id, reason)) {
        this.reportFailed(
          message.id,
          message.sender_id,
          message.receiver_id,
          reason,
          this.sessionOf(message.receiver_id),
        );
      }
      logger.warn(
        { message: message.id, receiver: message.receiver_id },
        `inbox message ${message.id} failed after ${this.maxAttempts} attempts: ${reason}`,
      );
    } else {
      db.countAttempt(message.id, reason);
    }
    void this.deps.terminals.discardStaged(message.receiver_id, inboxBufferName(message.id));
  }

  private forgetReceiver(receiverId: string): void {
    this.waiting.delete(receiverId);
    this.lastDelivery.delete(receiverId);
  }

  /** A crash between "delivering" and "delivered": the staged buffer tells whether the paste happened. */
  private async recoverInterruptedDeliveries(): Promise<void> {
    const { db, terminals, logger } = this.deps;
    const interrupted = db.messagesInDelivery();
    if (interrupted.length === 0) return;
    const staged = await terminals.stagedBuffers();
    for (const message of interrupted) {
      const alive = await terminals.isAlive(message.receiver_id);
      if (!alive) {
        const reason = "the receiving terminal was gone when cao-server restarted";
        if (db.markFailed(message.id, reason))
          this.reportFailed(
            message.id,
            message.sender_id,
            message.receiver_id,
            reason,
            this.sessionOf(message.receiver_id),
          );
        continue;
      }
      if (staged.has(inboxBufferName(message.id))) {
        db.abandonDelivery(message.id);
        logger.info(
          { message: message.id },
          `inbox message ${message.id} was not typed before the restart; it will be delivered`,
        );
      } else {
        if (db.markDelivered(message.id, new Date().toISOString()))
          this.reportDelivered(message, message.message, this.sessionOf(message.receiver_id));
        logger.info(
          { message: message.id },
          `inbox message ${message.id} was typed just before the restart; recorded as delivered`,
        );
      }
    }
  }
}
