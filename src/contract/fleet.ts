/**
 * The fleet's wire contract (docs/contract.md#fleet): the NATS names, the CloudEvents envelope, the host record and
 * the command ops. The fleet member, its client and (later) the CLI and the dashboard all read them from here;
 * nothing here imports anything but the contract's own shapes.
 */
import type { InboxAccepted, InputParams, SessionDetail, SessionSummary, Terminal } from "./api.js";

/** The JetStream stream every member publishes its journal to. */
export const FLEET_EVENTS_STREAM = "CAO_EVENTS";
/** The stream's subjects: `cao.events.<host>.<event_type>`. */
export const FLEET_EVENTS_SUBJECTS = "cao.events.>";
/** The KV bucket of live hosts, one key per host. */
export const FLEET_HOSTS_BUCKET = "CAO_HOSTS";
/** A host's key expires this long after its last refresh (the bucket's max age). */
export const FLEET_HOST_TTL_MS = 15_000;
/** How often a member refreshes its key (at most 5 s by contract). */
export const FLEET_HEARTBEAT_MS = 4_000;

/** The command ops, each answered on `cao.cmd.<host>.<op>` as its REST route answers. */
export const FLEET_COMMAND_OPS = [
  "list_sessions",
  "create_session",
  "send_input",
  "send_message",
  "delete_session",
  "get_session",
] as const;
export type FleetCommandOp = (typeof FLEET_COMMAND_OPS)[number];

export function isFleetCommandOp(value: string): value is FleetCommandOp {
  return (FLEET_COMMAND_OPS as readonly string[]).includes(value);
}

/**
 * A host name is one NATS subject token and one KV key: letters, digits, `-` and `_`, at most 64 (no `.`, which would
 * split the subject, and no wildcards).
 */
export const FLEET_HOST_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function fleetEventSubject(host: string, eventType: string): string {
  return `cao.events.${host}.${eventType}`;
}

export function fleetCommandSubject(host: string, op: string): string {
  return `cao.cmd.${host}.${op}`;
}

/** The id of a host's event in the fleet: also its `Nats-Msg-Id`, so JetStream drops a repeat. */
export function fleetEventId(host: string, seq: number): string {
  return `${host}:${seq}`;
}

/** The value of a host's key in `CAO_HOSTS`. */
export interface FleetHost {
  host: string;
  /** The cao package version the host runs. */
  version: string;
  /** Providers whose CLI is installed there. */
  providers: string[];
  /** Its CAO sessions. */
  sessions: number;
  /** ISO-8601 UTC. */
  started_at: string;
  /** ISO-8601 UTC, the time of the refresh that wrote this value. */
  last_seen: string;
}

/** A journaled event as a CloudEvents 1.0 JSON message (structured mode). */
export interface FleetCloudEvent {
  specversion: "1.0";
  /** `<host>:<seq>` */
  id: string;
  /** `cao://<host>` */
  source: string;
  /** `cao.<event_type>` */
  type: string;
  /** The event's own timestamp. */
  time: string;
  /** `<session_id>/<terminal_id>`, or `<session_id>` for a session's own events; absent when the event has no session. */
  subject?: string;
  datacontenttype: "application/json";
  /** The event's JSON with its `seq`, as `GET /events/history` gives it. */
  data: { seq: number; event_type: string; timestamp: string; session_id: string | null; [field: string]: unknown };
}

/** Requests: the JSON the matching REST route takes, path parameters included. */
export interface FleetCommandRequests {
  list_sessions: Record<string, never>;
  create_session: { provider: string; agent_profile: string; session_name?: string; working_directory?: string };
  send_input: InputParams & { terminal_id: string };
  send_message: { receiver_id: string; sender_id: string; message: string };
  delete_session: { session_name: string };
  get_session: { session_name: string };
}

/** Replies: what the matching REST route answers on success. */
export interface FleetCommandReplies {
  list_sessions: SessionSummary[];
  create_session: Terminal;
  send_input: { success: true };
  send_message: InboxAccepted;
  delete_session: { success: true };
  get_session: SessionDetail;
}

/** A command's failure, with the status the REST route would have answered. */
export interface FleetCommandErrorBody {
  error: { status: number; detail: string };
}

/** One host's sessions as `GET /fleet/sessions` answers them (docs/contract.md#fleet); `error` when it failed. */
export interface FleetHostSessions {
  host: string;
  sessions: SessionDetail[];
  error?: { status: number; detail: string };
}
