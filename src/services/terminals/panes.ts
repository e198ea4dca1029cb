import type { TerminalRecord } from "../../clients/database.js";
import { describeExit } from "../../clients/tmux-pane.js";
import { TmuxGoneError, type PaneProbe, type PaneState, type TmuxClient } from "../../clients/tmux.js";
import { ConflictError, NotFoundError } from "../../util/errors.js";
import type { ExitTracker } from "./exit-tracker.js";
import type { TerminalSignals } from "./signals.js";

/** tmux calls on one terminal's pane, with the two answers every caller needs: 404 when it vanished, 409 when its agent exited. */
export class Panes {
  constructor(
    private readonly tmux: TmuxClient,
    private readonly signals: TerminalSignals,
    private readonly exits: ExitTracker,
  ) {}

  probe(record: TerminalRecord): Promise<PaneProbe> {
    return this.call(record, () => this.tmux.probe(record.session_name, record.window_name));
  }

  /** Runs a tmux call for `record`; when tmux says the window is gone, lets what vanished be forgotten and answers 404. */
  async call<T>(record: TerminalRecord, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof TmuxGoneError)) throw error;
      await this.signals.emit("vanished", {});
      throw new NotFoundError(`terminal ${record.id} is gone: its tmux window vanished`);
    }
  }

  /** The 409 for input to a terminal whose agent has exited (nothing was typed); the exit is reported too. */
  refusal(record: TerminalRecord, pane: PaneState, what: string): ConflictError {
    this.exits.check(record, pane);
    return new ConflictError(`terminal ${record.id} ${what}: ${describeExit(pane)}; nothing was typed`);
  }
}
