/**
 * The shapes of cao-server's JSON, as the page reads them: the server's own contract module (src/contract), so a
 * new event type or field reaches the page with the server's build, never through a copy kept here.
 */
import type { Terminal as ApiTerminal, TerminalStatus } from "../../src/contract/index.js";

export { EVENT_TYPES, TERMINAL_STATUSES, type EventType, type TerminalStatus } from "../../src/contract/vocabulary.js";
export type { EventJson as CaoEventJson, PluginRow, ProviderInfo, SessionSummary } from "../../src/contract/api.js";

/** A terminal as the page holds it: one announced by terminal_created has no status read yet ("unknown"). */
export type Terminal = Omit<ApiTerminal, "status" | "last_active"> & {
  status: TerminalStatus | "unknown";
  last_active?: string | null;
};
