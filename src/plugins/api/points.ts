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

/**
 * Before an agent runs a tool (a shell command, a file edit, an MCP call, …), asked by the agent CLI's own hook
 * (docs/contract.md#agent-hooks). A deny stops the tool and the agent is told why; a modify changes its input.
 */
export interface PreToolUse {
  readonly point: "pre_tool_use";
  readonly sessionId: string;
  readonly terminalId: string;
  readonly agentName: string;
  readonly provider: string;
  /** As the CLI names it (`Bash`, `run_shell_command`, `Write`, `mcp__cao-mcp-server__handoff`, …). */
  readonly toolName: string;
  /** The tool's input as the CLI reported it (its keys as the CLI spells them). */
  readonly toolInput: Readonly<Record<string, unknown>>;
}

/** Point name → the operation an interceptor of it receives. */
export interface InterceptPointMap {
  pre_create_session: PreCreateSession;
  pre_create_terminal: PreCreateTerminal;
  pre_send_message: PreSendMessage;
  pre_tool_use: PreToolUse;
}

export type InterceptPoint = keyof InterceptPointMap;

/**
 * The fields a `modify` may change, per point: the one list the compiler's patch types and the run-time check share.
 * Each is a string field, except those in OBJECT_FIELDS.
 */
export const CHANGEABLE_FIELDS = {
  pre_create_session: ["workingDirectory"],
  pre_create_terminal: ["workingDirectory"],
  pre_send_message: ["message"],
  pre_tool_use: ["toolInput"],
} as const satisfies { [K in InterceptPoint]: readonly (keyof InterceptPointMap[K])[] };

/** Changeable fields whose value is a plain object (a tool's input), not a string. */
export const OBJECT_FIELDS: ReadonlySet<string> = new Set(["toolInput"]);

export type ChangeableField<K extends InterceptPoint> = (typeof CHANGEABLE_FIELDS)[K][number];

/** What a `modify` of point K may carry. */
export type PatchOf<K extends InterceptPoint> = {
  -readonly [F in ChangeableField<K> & keyof InterceptPointMap[K]]?: InterceptPointMap[K][F];
};

export const INTERCEPT_POINTS = Object.freeze(Object.keys(CHANGEABLE_FIELDS)) as readonly InterceptPoint[];

export function isInterceptPoint(value: unknown): value is InterceptPoint {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(CHANGEABLE_FIELDS, value);
}
