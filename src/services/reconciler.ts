import type { Logger } from "pino";
import type { CaoDatabase } from "../clients/database.js";
import type { ListedPane, TmuxClient } from "../clients/tmux.js";
import { SessionKilledEvent } from "../plugins/api/events.js";
import { errorMessage } from "../util/errors.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import type { EventSink } from "./event-sink.js";
import type { TerminalService } from "./terminal-service.js";

/** `start-up`: what vanished while the server was down; `live`: what vanished (or exited) while it runs. */
export type ReconcileWhen = "start-up" | "live";

export interface Reconciled {
  /** Terminals forgotten by this pass. */
  forgotten: number;
  /** The tmux sessions that exist, in tmux's order. */
  sessions: string[];
}

export const DEFAULT_LIVENESS_MS = 2000;

const WHY: Record<ReconcileWhen, { window: string; session: string }> = {
  "start-up": {
    window: "its tmux window was gone when cao-server started",
    session: "its tmux window was gone when cao-server started",
  },
  live: { window: "its tmux window vanished", session: "its tmux session vanished (was the tmux server killed?)" },
};

/**
 * Keeps the records in step with tmux. One pass is one `list-panes -a`: terminals whose window (or whole session, or
 * tmux server) vanished are forgotten — pending inbox messages failed with the reason, terminal_killed, and
 * session_killed for a session gone entirely — and terminals whose agent exited get their pending messages failed.
 * The same pass runs at start-up, every `livenessMs` while the server runs, and whenever a tmux call shows a
 * terminal gone, so a dashboard never keeps a ghost and `GET /sessions` never lists one.
 */
export class Reconciler {
  /** The passes, one at a time (one key: the tmux server). */
  private readonly passes = new KeyedSerial();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private unavailable = false;

  constructor(
    private readonly deps: {
      tmux: TmuxClient;
      db: CaoDatabase;
      terminals: TerminalService;
      sink: EventSink;
      logger: Logger;
    },
  ) {
    // A tmux call that found a window gone: forget whatever else vanished, now.
    deps.terminals.signals.on("vanished", () => this.reconcile("live"));
  }

  /**
   * One pass; a call while a pass runs waits for the next one (its caller may have seen something vanish after the
   * running pass looked), and all callers in that wait share it. Rejects when tmux is unavailable: then nothing is
   * forgotten, since a hung tmux says nothing about what exists.
   */
  reconcile(when: ReconcileWhen = "live"): Promise<Reconciled> {
    return this.passes.request("tmux", () => this.pass(when));
  }

  /** Checks every `periodMs` until stop(); the timer never keeps the process alive. */
  start(periodMs = DEFAULT_LIVENESS_MS): void {
    this.running = true;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.reconcile("live")
          .then(
            () => this.recovered(),
            (error: unknown) => this.failed(error),
          )
          .finally(() => {
            if (this.running) tick();
          });
      }, periodMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.passes.idle();
  }

  private async pass(when: ReconcileWhen): Promise<Reconciled> {
    const { tmux, db, terminals, sink, logger } = this.deps;
    // Records are read before tmux is asked: a window is created before its record, so every record read here had
    // its window before the listing; a terminal recorded meanwhile cannot be taken for a vanished one.
    const records = db.allTerminals();
    const panes = await terminals.abandoned.removeFrom(await tmux.listPanes(), { tmux, db, logger });
    const byWindow = new Map<string, ListedPane>(panes.map((pane) => [`${pane.session}\0${pane.window}`, pane]));
    const sessions = [...new Set(panes.map((pane) => pane.session))];
    const ended = new Set<string>();
    let forgotten = 0;
    for (const record of records) {
      if (terminals.isStarting(record.id)) continue; // its create decides: up, or discarded
      const pane = byWindow.get(`${record.session_name}\0${record.window_name}`);
      if (pane) {
        terminals.checkAgent(record, pane);
        continue;
      }
      const sessionGone = !sessions.includes(record.session_name);
      if (!terminals.forget(record, sessionGone ? WHY[when].session : WHY[when].window)) continue; // forgotten meanwhile
      forgotten++;
      if (sessionGone) ended.add(record.session_name);
    }
    for (const name of ended) sink.dispatch(new SessionKilledEvent({ sessionId: name, sessionName: name }));
    if (forgotten > 0) {
      logger.warn(
        when === "start-up"
          ? `forgot ${forgotten} terminal(s) whose tmux windows were gone at start-up`
          : `forgot ${forgotten} terminal(s) whose tmux windows vanished`,
      );
    }
    return { forgotten, sessions };
  }

  private failed(error: unknown): void {
    if (this.unavailable) return;
    this.unavailable = true; // one WARN per outage, not one per period
    this.deps.logger.warn(`tmux liveness check failed: ${errorMessage(error)}; will keep checking`);
  }

  private recovered(): void {
    if (!this.unavailable) return;
    this.unavailable = false;
    this.deps.logger.info("tmux answers the liveness check again");
  }
}
