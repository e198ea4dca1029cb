/**
 * The words of the contract (docs/contract.md): terminal and inbox statuses, orchestration types and the event
 * types. One list each; the server, the plugin API, the HTTP client and the dashboard read them from here.
 */

export const TERMINAL_STATUSES = ["idle", "processing", "completed", "waiting_user_answer", "error"] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const INBOX_STATUSES = ["pending", "delivered", "failed"] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

export const ORCHESTRATION_TYPES = ["send_message", "handoff", "assign"] as const;
export type OrchestrationType = (typeof ORCHESTRATION_TYPES)[number];

/** Every event type, in the order the contract lists them (the V1 five first). */
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
  "agent_turn_started",
  "agent_tool_started",
  "agent_tool_finished",
  "agent_turn_ended",
  "agent_notification",
  "plugin_loaded",
  "plugin_reloaded",
  "plugin_unloaded",
  "plugin_failed",
  "flow_run_started",
  "flow_run_finished",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const PLUGIN_STATUSES = ["active", "failed", "disabled"] as const;
export type PluginStatus = (typeof PLUGIN_STATUSES)[number];

export type PluginIsolation = "inline" | "worker";
export type PluginSourceKind = "npm" | "dir" | "memory";

/** What an agent_notification is about (docs/contract.md#agent-hooks). */
export const AGENT_NOTIFICATION_KINDS = ["permission_prompt", "idle", "other"] as const;
export type AgentNotificationKind = (typeof AGENT_NOTIFICATION_KINDS)[number];

/** The header an agent's hook calls carry its terminal's secret in (docs/contract.md#agent-hooks). */
export const AGENT_HOOK_TOKEN_HEADER = "x-cao-hook-token";

/** What started a flow run (docs/flows.md#events): its cron schedule, or `cao schedule run` / `POST /flows/:name/run`. */
export const FLOW_RUN_TRIGGERS = ["schedule", "manual"] as const;
export type FlowRunTrigger = (typeof FLOW_RUN_TRIGGERS)[number];

/** How a flow run ended: its session was launched and prompted, its script (or a busy session) skipped it, or it failed. */
export const FLOW_RUN_OUTCOMES = ["launched", "skipped", "failed"] as const;
export type FlowRunOutcome = (typeof FLOW_RUN_OUTCOMES)[number];
