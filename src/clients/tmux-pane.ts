import os from "node:os";

/** Whether the agent in a pane still runs, as tmux sees it. */
export interface PaneState {
  /** The pane's process ended (windows keep `remain-on-exit on`, so its last screen stays readable). */
  dead: boolean;
  exitStatus?: number;
  exitSignal?: number;
  /** The pane's foreground process. */
  command: string;
  /**
   * The pane is back at its shell (tmux's default-shell is in the foreground) in a window whose agent was not
   * started with exec (made by an older CAO): its agent has exited. In windows marked `@cao-exec` the shell the
   * agent exec'd from is gone for good, and a shell in the foreground is one the agent started.
   */
  atShell: boolean;
}

/** A pane as `list-panes -a` shows it. */
export interface ListedPane extends PaneState {
  session: string;
  window: string;
}

/** Window option set on every window CAO makes: its agent is started with `exec`. */
export const EXEC_MARK = "@cao-exec";
const AT_SHELL = `#{?#{${EXEC_MARK}},0,#{==:#{pane_current_command},#{b:default-shell}}}`;

// The current command goes last: a process name may hold anything, tabs included.
export const PANE_FORMAT = `#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t${AT_SHELL}\t#{pane_current_command}`;
export const LISTED_PANE_FORMAT = `#{session_name}\t#{window_name}\t${PANE_FORMAT}`;

/**
 * An `if-shell -F` condition true when nothing may be typed into the pane: it is dead (pasting into a dead pane
 * crashes tmux 3.3's server), or back at a shell its agent left (see atShell).
 */
export const REFUSE_INPUT = `#{||:#{pane_dead},${AT_SHELL}}`;

export function parsePane(line: string): PaneState {
  const [dead, status, signal, atShell, ...command] = line.split("\t");
  return {
    dead: dead === "1",
    ...(status ? { exitStatus: Number(status) } : {}),
    ...(signal ? { exitSignal: Number(signal) } : {}),
    command: command.join("\t"),
    atShell: atShell === "1",
  };
}

export function parseListedPane(line: string): ListedPane {
  const [session = "", window = "", ...rest] = line.split("\t");
  return { session, window, ...parsePane(rest.join("\t")) };
}

/** Whether no agent runs in the pane any more. */
export function agentExited(pane: PaneState): boolean {
  return pane.dead || pane.atShell;
}

/** Why no agent runs in the pane, in words for `{detail}` and for failed inbox messages. */
export function describeExit(pane: PaneState): string {
  if (pane.dead && pane.exitSignal !== undefined) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === pane.exitSignal)?.[0];
    return `the agent was killed by signal ${pane.exitSignal}${name ? ` (${name})` : ""}`;
  }
  if (pane.dead)
    return pane.exitStatus !== undefined ? `the agent exited with status ${pane.exitStatus}` : "the agent exited";
  return `the agent exited and left its shell (${pane.command}) in the pane`;
}
