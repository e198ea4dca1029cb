/**
 * Interception points (docs/contract.md#interception-points): what an interceptor is asked about before an operation happens. The operation is a
 * plain frozen object (structured-cloneable, so it can cross to a worker thread as is); `point` names which one it is.
 */
import type { OrchestrationType } from "./events.js";

/** Before a session (and its first terminal) is created. */
export interface PreCreateSession {
  readonly point: "pre_create_session";
  /** As the server normalised it: `cao-…`. */
  readonly sessionName: string;
  readonly provider: string;
  readonly agentProfile: string;
  /** Absolute, resolved by the server (the caller's value, or the server's directory when none was given). */
  readonly workingDirectory: string;
}

/** Before any terminal is created: a session's first, later ones, handoff and assign workers. */
export interface PreCreateTerminal {
  readonly point: "pre_create_terminal";
  readonly sessionId: string;
  readonly provider: string;
  readonly agentProfile: string;
  readonly workingDirectory: string;
}

/** Before anything is typed into an agent on someone's behalf (handoff/assign tasks, inbox messages, direct input). */
export interface PreSendMessage {
  readonly point: "pre_send_message";
  readonly sessionId: string;
  /** The sending terminal; null for direct input without a sender_id. */
  readonly sender: string | null;
  readonly receiver: string;
  readonly message: string;
  /** null for direct input without an orchestration_type. */
  readonly orchestrationType: OrchestrationType | null;
}

/** Point name → the operation an interceptor of it receives. */
export interface InterceptPointMap {
  pre_create_session: PreCreateSession;
  pre_create_terminal: PreCreateTerminal;
  pre_send_message: PreSendMessage;
}

export type InterceptPoint = keyof InterceptPointMap;

/**
 * The fields a `modify` may change, per point: the one list the compiler's patch types and the run-time check share.
 * Each is a string field.
 */
export const CHANGEABLE_FIELDS = {
  pre_create_session: ["workingDirectory"],
  pre_create_terminal: ["workingDirectory"],
  pre_send_message: ["message"],
} as const satisfies { [K in InterceptPoint]: readonly (keyof InterceptPointMap[K])[] };

export type ChangeableField<K extends InterceptPoint> = (typeof CHANGEABLE_FIELDS)[K][number];

/** What a `modify` of point K may carry. */
export type PatchOf<K extends InterceptPoint> = {
  -readonly [F in ChangeableField<K> & keyof InterceptPointMap[K]]?: InterceptPointMap[K][F];
};

export const INTERCEPT_POINTS = Object.freeze(Object.keys(CHANGEABLE_FIELDS)) as readonly InterceptPoint[];

export function isInterceptPoint(value: unknown): value is InterceptPoint {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(CHANGEABLE_FIELDS, value);
}
