/**
 * The tmux key names `POST /terminals/:id/key` accepts (docs/contract.md#routes), the Python CAO's set: arrows,
 * Enter, Tab, Escape, Space, one letter or digit, and a letter or digit with C-, M- or S-. Sent by name with
 * `send-keys`, so none of them can be read by tmux as a command or as literal text.
 */
export const TERMINAL_KEY = /^(?:Up|Down|Left|Right|Enter|Tab|Escape|Space|[A-Za-z0-9]|[CMS]-[A-Za-z0-9])$/;

/** What the tmux client sends: the route's keys, plus BSpace (CAO itself uses it, e.g. to clear a provider's input). */
export const TMUX_SEND_KEY = /^(?:Up|Down|Left|Right|Enter|Tab|Escape|Space|BSpace|[A-Za-z0-9]|[CMS]-[A-Za-z0-9])$/;

export const TERMINAL_KEY_RULE =
  "Up, Down, Left, Right, Enter, Tab, Escape, Space, one letter or digit, or C-, M- or S- with one letter or digit";
