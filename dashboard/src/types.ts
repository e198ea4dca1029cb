/** Shapes of cao-server's JSON (DESIGN §8, §12, §13), as the page reads them. */

export interface Terminal {
  id: string;
  name: string;
  provider: string;
  session_name: string;
  agent_profile: string;
  /** idle | processing | completed | waiting_user_answer | error; "unknown" until first read. */
  status: string;
  last_active?: string | null;
}

export interface SessionSummary {
  id: string;
  name: string;
  status: string;
}

export interface PluginRow {
  name: string;
  source: string;
  version?: string | null;
  path: string;
  status: "active" | "failed" | "disabled" | string;
  hooks: string[];
  error?: string | null;
}

export interface ProviderInfo {
  name: string;
  binary: string;
  installed: boolean;
}

/** One journaled event: its toJSON() plus seq (§12). */
export interface CaoEventJson {
  seq: number;
  event_type: string;
  timestamp: string;
  session_id: string | null;
  [field: string]: unknown;
}

/** Every event type the stream may carry: EventSource only hands named events to listeners registered by name. */
export const EVENT_TYPES = [
  "session_created",
  "session_killed",
  "terminal_created",
  "terminal_killed",
  "message_sent",
  "terminal_status_changed",
  "inbox_message_queued",
  "inbox_message_delivered",
  "inbox_message_failed",
  "operation_denied",
  "plugin_loaded",
  "plugin_reloaded",
  "plugin_unloaded",
  "plugin_failed",
] as const;
