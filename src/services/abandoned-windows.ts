import type { Logger } from "pino";
import type { CaoDatabase } from "../clients/database.js";
import { TmuxUnavailableError, type ListedPane, type TmuxClient } from "../clients/tmux.js";

/**
 * Windows a hung tmux was asked to create (or to kill) when its deadline passed. Killing the tmux client does not
 * take the command back: a stopped server that resumes still runs it, and a session nobody records would linger
 * (and make a retry of the same name a 409). The next reconcile pass that reaches tmux removes any such window
 * that has no record.
 */
export class AbandonedWindows {
  private readonly windows: { session: string; window: string }[] = [];

  /** Remembers the window when `error` says tmux did not answer; returns `error` for rethrowing. */
  noteIfUnanswered(error: unknown, session: string, window: string): unknown {
    if (error instanceof TmuxUnavailableError) this.windows.push({ session, window });
    return error;
  }

  /** Kills the remembered windows found in `panes` that have no record; returns the panes that remain. */
  async removeFrom(
    panes: ListedPane[],
    deps: { tmux: TmuxClient; db: CaoDatabase; logger: Logger },
  ): Promise<ListedPane[]> {
    if (this.windows.length === 0) return panes;
    const recorded = new Set(deps.db.allTerminals().map((r) => `${r.session_name}\0${r.window_name}`));
    const removed = new Set<string>();
    for (const { session, window } of this.windows.splice(0)) {
      const key = `${session}\0${window}`;
      if (recorded.has(key) || !panes.some((p) => p.session === session && p.window === window)) continue;
      try {
        await deps.tmux.killWindow(session, window);
        removed.add(key);
        deps.logger.warn(`removed tmux window ${session}:${window}, created after its request had timed out`);
      } catch (error) {
        deps.logger.warn(
          { err: error },
          `could not remove tmux window ${session}:${window}, created after its request had timed out`,
        );
      }
    }
    return panes.filter((p) => !removed.has(`${p.session}\0${p.window}`));
  }
}
