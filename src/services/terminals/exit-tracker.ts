import type { Logger } from "pino";
import type { TerminalRecord } from "../../clients/database.js";
import { agentExited, describeExit } from "../../clients/tmux-pane.js";
import type { PaneState } from "../../clients/tmux.js";
import { endLeftovers } from "./leftovers.js";
import type { TerminalSignals } from "./signals.js";

/**
 * Which terminals' agents have exited, and why. It reports an exit (the `exited` signal, each time it is found, so
 * messages posted since fail too; a WARN once) and fails nothing itself: the inbox listens.
 */
export class ExitTracker {
  /** Seen exited once before its exit status was known (tmux learns it when it reaps the agent, which can lag). */
  private readonly seenEarly = new Set<string>();
  /** Why each terminal whose exit was reported takes no more input. */
  private readonly reasons = new Map<string, string>();

  constructor(
    private readonly signals: TerminalSignals,
    private readonly logger: Logger,
  ) {}

  /** Whether the terminal's agent has exited (its pane is dead, or back at a shell its agent left). */
  check(record: TerminalRecord, pane: PaneState): boolean {
    if (!agentExited(pane)) return false;
    // Wait one more check for the exit status, no longer, so the reason names the status or signal when it can.
    const statusKnown = !pane.dead || pane.exitStatus !== undefined || pane.exitSignal !== undefined;
    if (!statusKnown && !this.seenEarly.has(record.id)) {
      this.seenEarly.add(record.id);
      return true;
    }
    const reason = describeExit(pane);
    if (!this.reasons.has(record.id)) {
      this.reasons.set(record.id, reason);
      // A CLI's MCP servers or daemon may outlive it. (A pane back at a shell, in a window an older CAO made, is left
      // alone: that shell is the user's to close.)
      if (pane.dead) void endLeftovers([record.id], this.logger);
      this.logger.warn(
        { terminal: record.id },
        `terminal ${record.id}: ${reason}; it takes no more input, and its pending inbox messages failed`,
      );
    }
    void this.signals.emit("exited", { record, reason });
    return true;
  }

  /** Why terminal `id` takes no more input, once its agent's exit has been seen; undefined while it runs. */
  reason(id: string): string | undefined {
    return this.reasons.get(id);
  }

  forget(id: string): void {
    this.seenEarly.delete(id);
    this.reasons.delete(id);
  }
}
