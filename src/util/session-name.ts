import { assertTmuxName } from "./validate.js";

export const SESSION_PREFIX = "cao-";

/**
 * The one rule for session names, used by every route and command that takes one: `t1` and `cao-t1` name the same
 * tmux session, `cao-t1`. Throws a ValidationError (400) for a name tmux or a shell could misread.
 */
export function normalizeSessionName(name: string): string {
  const full = name.startsWith(SESSION_PREFIX) ? name : `${SESSION_PREFIX}${name}`;
  assertTmuxName(full, "session_name");
  return full;
}
