import type { CaoEventType } from "./events.js";

/**
 * The Python CAO's event names (docs/contract.md#interception-points), accepted by `hook()` and in definePlugin's `hooks`, so a plugin ported
 * from Python keeps its names. Each registers for the event named here.
 */
export const HOOK_ALIASES = {
  post_send_message: "message_sent",
  post_create_session: "session_created",
  post_kill_session: "session_killed",
  post_create_terminal: "terminal_created",
  post_kill_terminal: "terminal_killed",
} as const satisfies Record<string, CaoEventType>;

export type HookAlias = keyof typeof HOOK_ALIASES;

/** An event type or an alias of one. */
export type HookName = CaoEventType | HookAlias;

/** The event type a hook name registers for (`message_sent` for `post_send_message`); other names pass through. */
export function canonicalEventType(name: string): string {
  return Object.prototype.hasOwnProperty.call(HOOK_ALIASES, name) ? HOOK_ALIASES[name as HookAlias] : name;
}

/** `HookName` → the event type it stands for. */
export type CanonicalOf<K extends HookName> = K extends HookAlias ? (typeof HOOK_ALIASES)[K] : K;
