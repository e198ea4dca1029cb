import type { MockInstance } from "vitest";

/**
 * tmux commands that only read. The server reads panes on its own (the reconciler's liveness sweep, the status
 * monitor re-reading a terminal whose log grew), so a test that proves a refused request reached no tmux looks at the
 * calls that could change something.
 */
const READ_ONLY = new Set([
  "list-panes",
  "list-windows",
  "list-sessions",
  "has-session",
  "display-message",
  "capture-pane",
  "show-options",
  "show-buffer",
]);

/** The calls of a spy on TmuxClient.run that include a command which is not read-only (a call may chain with ";"). */
export function changingTmuxCalls(spy: MockInstance): unknown[][] {
  return spy.mock.calls.filter(([args]) => {
    if (!Array.isArray(args)) return true;
    const commands: string[] = [];
    let next = true;
    for (const word of args) {
      if (next && typeof word === "string") commands.push(word);
      next = word === ";";
    }
    return commands.some((command) => !READ_ONLY.has(command));
  });
}
