import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../clients/database.js";
import { TerminalStatusChangedEvent } from "../plugins/api/events.js";
import type { TerminalStatus } from "../providers/provider.js";
import { errorMessage } from "../util/errors.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import type { EventSink } from "./event-sink.js";
import type { PaneActivity } from "./pane-activity.js";
import type { TerminalService } from "./terminal-service.js";

export interface StatusMonitorOptions {
  /** How often the safety poll looks at every terminal's log size (default 10 s): the net under a missed watch event. */
  safetyPollMs?: number;
  /** A terminal whose log did not grow is still re-read after this long (default 60 s). */
  fullCheckMs?: number;
  /** At most one status read per terminal per this many ms (default 200): a spinner prints ~12 times a second. */
  minIntervalMs?: number;
}

/**
 * After an agent's hook reported a status, screen readings that say otherwise are ignored this long: the screen lags
 * the hook (a spinner still drawn when the turn-end hook arrives). A screen that still disagrees afterwards wins, so a
 * hook that never came (an interrupted turn) cannot leave a status stuck.
 */
export const HOOK_PRECEDENCE_MS = 3000;

/** When a terminal's last check began. */
interface LastCheck {
  at: number;
  /** The pane log's size then: the safety poll skips a terminal that printed nothing since. */
  logSize: number;
}

/**
 * Emits terminal_status_changed (docs/contract.md#events). A screen only changes when the pane prints, and tmux pipe-pane appends
 * everything a pane prints to its log, so the monitor re-reads a terminal's status when its log grows (PaneActivity:
 * one inotify watch for all terminals, shared with the inbox) — throttled per terminal, with a trailing check so the
 * last change of a burst is never missed — and on a slow safety poll. An idle fleet costs one status read per terminal
 * per full-check period (60 s) and a stat per safety period (10 s). The first status read of a terminal is its baseline; events are emitted only on a change.
 */
export class StatusMonitor {
  private readonly safetyPollMs: number;
  private readonly minIntervalMs: number;
  private readonly fullCheckMs: number;
  private readonly known = new Map<string, TerminalStatus>();
  /** The last status an agent's own hook reported, and when (docs/agent-hooks.md). */
  private readonly reported = new Map<string, { status: TerminalStatus; at: number }>();
  private readonly lastCheck = new Map<string, LastCheck>();
  /** One check per terminal at a time, at most one more waiting, each at least minIntervalMs after the last began. */
  private readonly checks = new KeyedSerial({
    delayMs: (terminalId) => Math.max(0, (this.lastCheck.get(terminalId)?.at ?? 0) + this.minIntervalMs - Date.now()),
  });
  private poll: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = true;

  constructor(
    private readonly deps: {
      db: CaoDatabase;
      terminals: TerminalService;
      sink: EventSink;
      logger: Logger;
      activity?: PaneActivity;
    },
    options: StatusMonitorOptions = {},
  ) {
    this.safetyPollMs = options.safetyPollMs ?? 10_000;
    this.minIntervalMs = options.minIntervalMs ?? 200;
    this.fullCheckMs = options.fullCheckMs ?? 60_000;
    deps.terminals.signals.on("started", ({ id, status }) => this.baseline(id, status));
    // An agent found exited (say killed, printing nothing) is read again rather than served from what was known.
    deps.terminals.signals.on("exited", ({ record }) => this.schedule(record.id));
    deps.terminals.useStatusCache(this);
  }

  /**
   * Terminal `id`'s status as last read, when it is still current: no read pending or running, and its pane log has
   * not grown since that read began (a screen changes only by printing). Undefined otherwise: then ask tmux.
   */
  current(terminalId: string): TerminalStatus | undefined {
    if (this.stopped) return undefined;
    const hook = this.reported.get(terminalId);
    if (hook && Date.now() - hook.at < HOOK_PRECEDENCE_MS) return hook.status;
    const status = this.known.get(terminalId);
    const last = this.lastCheck.get(terminalId);
    if (status === undefined || last === undefined || this.checks.busy(terminalId)) return undefined;
    return this.deps.terminals.logSize(terminalId) === last.logSize ? status : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.deps.activity?.onActivity((terminalId) => this.schedule(terminalId));
    this.sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.poll);
    this.poll = undefined;
    await this.checks.stop();
  }

  /** A new terminal's status as its create() saw it ready: the baseline its first change is measured against. */
  baseline(terminalId: string, status: TerminalStatus): void {
    if (!this.known.has(terminalId)) this.known.set(terminalId, status);
  }

  /**
   * A status the agent's own hook reported (prompt taken → processing, permission asked → waiting_user_answer): taken
   * at once, ahead of the screen, which stays the fallback. A turn's end (completed) triggers a screen read instead.
   */
  report(terminalId: string, status: TerminalStatus): void {
    if (this.stopped) return;
    const record = this.deps.db.getTerminal(terminalId);
    if (!record || this.deps.terminals.isStarting(terminalId)) return;
    if (status === "completed") {
      // A turn's end is read from the screen at once rather than taken from the hook: what follows a completed status
      // (handoff, GET …/output?mode=last) extracts the answer from the screen, which the CLI may not have drawn yet
      // when its turn-end hook runs. The hook's earlier status no longer holds the screen back.
      this.reported.delete(terminalId);
      this.schedule(terminalId);
      return;
    }
    this.reported.set(terminalId, { status, at: Date.now() });
    this.apply(record, status);
  }

  /** Reads terminal `id`'s status soon (a new terminal: its baseline). Unknown ids cost one database lookup. */
  schedule(terminalId: string): void {
    if (this.stopped) return;
    void this.checks.request(terminalId, () => this.run(terminalId));
  }

  /** One check; never rejects (a failed read is a DEBUG line: the next print or poll reads again). */
  private async run(terminalId: string): Promise<void> {
    if (this.stopped) return;
    this.lastCheck.set(terminalId, { at: Date.now(), logSize: this.deps.terminals.logSize(terminalId) });
    try {
      await this.check(terminalId);
    } catch (error) {
      this.deps.logger.debug(
        { err: error, terminal: terminalId },
        `status check of ${terminalId} failed: ${errorMessage(error)}`,
      );
    }
  }

  private async check(terminalId: string): Promise<void> {
    const { db, terminals } = this.deps;
    const record = db.getTerminal(terminalId);
    if (!record) {
      this.forget(terminalId);
      return;
    }
    // A terminal still starting has no baseline yet: its create() decides whether it exists at all.
    if (terminals.isStarting(terminalId)) return;
    const status = await terminals.statusOf(record);
    if (this.stopped || db.getTerminal(terminalId) === undefined) return;
    const hook = this.reported.get(terminalId);
    if (hook && hook.status !== status && Date.now() - hook.at < HOOK_PRECEDENCE_MS) {
      // The screen has not caught up with the hook yet: look again once the hook's precedence is over.
      const retry = setTimeout(() => this.schedule(terminalId), HOOK_PRECEDENCE_MS - (Date.now() - hook.at) + 50);
      retry.unref();
      return;
    }
    this.apply(record, status);
  }

  /** Takes `status` as terminal `record`'s; emits terminal_status_changed when it differs from the one known. */
  private apply(record: TerminalRecord, status: TerminalStatus): void {
    const terminalId = record.id;
    const previous = this.known.get(terminalId);
    this.known.set(terminalId, status);
    if (previous === undefined || previous === status) return;
    this.deps.sink.dispatch(
      new TerminalStatusChangedEvent({
        sessionId: record.session_name,
        terminalId,
        agentName: record.agent_profile,
        previousStatus: previous,
        status,
      }),
    );
  }

  private forget(terminalId: string): void {
    this.known.delete(terminalId);
    this.reported.delete(terminalId);
    this.lastCheck.delete(terminalId);
    this.checks.cancel(terminalId);
  }

  /**
   * The safety poll: a terminal is re-read when its log grew without a watch event reaching us, or when it was last
   * read a full-check period ago; a stat per terminal otherwise (no tmux call). Forgotten terminals are dropped.
   */
  private sweep(): void {
    if (this.stopped) return;
    try {
      const ids = new Set(this.deps.db.allTerminals().map((r) => r.id));
      for (const id of this.known.keys()) if (!ids.has(id)) this.forget(id);
      const now = Date.now();
      for (const id of ids) {
        const last = this.lastCheck.get(id);
        const stale = last === undefined || !this.known.has(id) || now - last.at >= this.fullCheckMs;
        if (stale || this.deps.terminals.logSize(id) !== last.logSize) this.schedule(id);
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, `status safety poll failed: ${errorMessage(error)}`);
    }
    this.poll = setTimeout(() => this.sweep(), this.safetyPollMs);
    this.poll.unref();
  }
}
