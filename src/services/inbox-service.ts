import type { Logger } from "pino";
import type { CaoDatabase, InboxRecord, InboxStatus } from "../clients/database.js";
import { errorMessage } from "../plugins/recognise.js";
import { assertMessage, assertTerminalId, ValidationError } from "../util/validate.js";
import type { TerminalService } from "./terminal-service.js";

export interface InboxOptions {
  /** How often receivers with pending messages are checked (default 250 ms). */
  pollMs?: number;
  /** Typing attempts before a message is marked failed (default 5). */
  maxAttempts?: number;
}

export const INBOX_STATUSES: readonly InboxStatus[] = ["pending", "delivered", "failed"];

/**
 * The inbox: messages are persisted first (so a crash loses nothing accepted), then typed into the receiver,
 * oldest first, one at a time, when it is idle. The idle check is two-step: the end of the pane log (a file read)
 * must show the provider's prompt before tmux is asked for the screen. Delivery emits message_sent (send_message).
 */
export class InboxService {
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: { db: CaoDatabase; terminals: TerminalService; logger: Logger },
    options: InboxOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  post(receiverId: string, senderId: string, message: string): InboxRecord {
    assertTerminalId(senderId);
    assertMessage(message);
    this.deps.terminals.record(receiverId); // 404 for an unknown receiver, before anything is stored
    const record = this.deps.db.insertMessage(senderId, receiverId, message, new Date().toISOString());
    this.kick();
    return record;
  }

  list(receiverId: string, options: { limit?: number; status?: string }): InboxRecord[] {
    assertTerminalId(receiverId);
    this.deps.terminals.record(receiverId);
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError("limit must be an integer from 1 to 1000");
    if (options.status !== undefined && !(INBOX_STATUSES as readonly string[]).includes(options.status)) {
      throw new ValidationError(`status must be one of ${INBOX_STATUSES.join(", ")}`);
    }
    return this.deps.db.listMessages(receiverId, { limit, ...(options.status ? { status: options.status as InboxStatus } : {}) });
  }

  /** Resume deliveries left pending by a previous run. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else if (this.deps.db.receiversWithPending().length > 0) {
        this.timer = setTimeout(() => this.kick(), this.pollMs);
        this.timer.unref();
      }
    });
  }

  private async pass(): Promise<void> {
    for (const receiver of this.deps.db.receiversWithPending()) {
      if (this.stopped) return;
      try {
        await this.deliverNext(receiver);
      } catch (error) {
        this.deps.logger.warn({ err: error, receiver }, `inbox delivery to ${receiver} failed: ${errorMessage(error)}`);
      }
    }
  }

  private async deliverNext(receiverId: string): Promise<void> {
    const { db, terminals } = this.deps;
    const record = db.getTerminal(receiverId);
    if (!record) {
      db.failPendingFor(receiverId, "the receiving terminal no longer exists");
      return;
    }
    const message = db.oldestPending(receiverId);
    if (!message) return;
    if (!terminals.idleByLogTail(record)) return;
    const status = await terminals.statusOf(record);
    if (status !== "idle" && status !== "completed") return;
    try {
      await terminals.sendInput(receiverId, message.message, { senderId: message.sender_id, orchestrationType: "send_message" });
    } catch (error) {
      const reason = errorMessage(error);
      if (message.attempts + 1 >= this.maxAttempts) {
        db.markFailed(message.id, reason);
        this.deps.logger.warn({ message: message.id, receiver: receiverId }, `inbox message ${message.id} failed after ${this.maxAttempts} attempts: ${reason}`);
      } else {
        db.countAttempt(message.id, reason);
      }
      return;
    }
    db.markDelivered(message.id, new Date().toISOString());
  }
}
