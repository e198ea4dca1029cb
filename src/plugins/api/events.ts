/**
 * The events CAO emits to plugins (DESIGN §4). Each is a small typed class; the services construct them
 * with one object of fields and hand them to the registry, which freezes them before any plugin sees them.
 */

/** A Date whose setters throw, so a frozen event's timestamp cannot be changed under another plugin's feet. */
export class EventTimestamp extends Date {
  static {
    const setters = Object.getOwnPropertyNames(Date.prototype).filter((key) => key.startsWith("set"));
    for (const key of setters) {
      Object.defineProperty(EventTimestamp.prototype, key, {
        value(): never {
          throw new TypeError(`event timestamps are read-only (${key} called)`);
        },
      });
    }
  }
}

export type OrchestrationType = "send_message" | "handoff" | "assign";
export const ORCHESTRATION_TYPES: readonly OrchestrationType[] = ["send_message", "handoff", "assign"];

interface BaseFields {
  /** The tmux session name (`cao-…`), or null when the event belongs to no session. */
  sessionId?: string | null;
  /** Defaults to now; accepted so recorded or replayed events keep their time. */
  timestamp?: Date;
}

/**
 * Base of every event. The five V1 classes freeze themselves at the end of their constructors: an event is a
 * value, shared by every plugin that receives it, so no plugin can change it under another's feet.
 * Custom subclasses that are not frozen are deep-frozen by the registry when dispatched.
 */
export abstract class CaoEvent {
  abstract readonly eventType: string;
  readonly timestamp: Date;
  readonly sessionId: string | null;

  constructor(fields: BaseFields) {
    this.timestamp = new EventTimestamp(fields.timestamp ?? Date.now());
    this.sessionId = fields.sessionId ?? null;
  }

  /** A plain JSON shape (snake_case, as CAO's HTTP API speaks), handy for forwarding plugins. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { event_type: this.eventType };
    for (const [key, value] of Object.entries(this)) {
      out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value instanceof Date ? value.toISOString() : value;
    }
    return out;
  }
}

export interface SessionFields extends BaseFields {
  sessionName: string;
}

export class SessionCreatedEvent extends CaoEvent {
  readonly eventType = "session_created" as const;
  readonly sessionName: string;
  constructor(fields: SessionFields) {
    super(fields);
    this.sessionName = fields.sessionName;
    Object.freeze(this);
  }
}

export class SessionKilledEvent extends CaoEvent {
  readonly eventType = "session_killed" as const;
  readonly sessionName: string;
  constructor(fields: SessionFields) {
    super(fields);
    this.sessionName = fields.sessionName;
    Object.freeze(this);
  }
}

export interface TerminalCreatedFields extends BaseFields {
  terminalId: string;
  agentName: string;
  provider: string;
}

export class TerminalCreatedEvent extends CaoEvent {
  readonly eventType = "terminal_created" as const;
  readonly terminalId: string;
  readonly agentName: string;
  readonly provider: string;
  constructor(fields: TerminalCreatedFields) {
    super(fields);
    this.terminalId = fields.terminalId;
    this.agentName = fields.agentName;
    this.provider = fields.provider;
    Object.freeze(this);
  }
}

export interface TerminalKilledFields extends BaseFields {
  terminalId: string;
  agentName: string;
}

export class TerminalKilledEvent extends CaoEvent {
  readonly eventType = "terminal_killed" as const;
  readonly terminalId: string;
  readonly agentName: string;
  constructor(fields: TerminalKilledFields) {
    super(fields);
    this.terminalId = fields.terminalId;
    this.agentName = fields.agentName;
    Object.freeze(this);
  }
}

export interface MessageSentFields extends BaseFields {
  sender: string;
  receiver: string;
  message: string;
  orchestrationType: OrchestrationType;
}

export class MessageSentEvent extends CaoEvent {
  readonly eventType = "message_sent" as const;
  readonly sender: string;
  readonly receiver: string;
  readonly message: string;
  readonly orchestrationType: OrchestrationType;
  constructor(fields: MessageSentFields) {
    super(fields);
    this.sender = fields.sender;
    this.receiver = fields.receiver;
    this.message = fields.message;
    this.orchestrationType = fields.orchestrationType;
    Object.freeze(this);
  }
}

export interface OperationDeniedFields extends BaseFields {
  /** The interception point (`pre_send_message`, …). */
  point: string;
  /** The plugin whose interceptor denied it. */
  plugin: string;
  reason: string;
  /** The intercepted operation's fields, as the denying interceptor saw them. */
  operation: Readonly<Record<string, unknown>>;
}

/** An interceptor denied an operation (DESIGN §12); dispatched after the caller was told. */
export class OperationDeniedEvent extends CaoEvent {
  readonly eventType = "operation_denied" as const;
  readonly point: string;
  readonly plugin: string;
  readonly reason: string;
  readonly operation: Readonly<Record<string, unknown>>;
  constructor(fields: OperationDeniedFields) {
    super(fields);
    this.point = fields.point;
    this.plugin = fields.plugin;
    this.reason = fields.reason;
    this.operation = Object.freeze({ ...fields.operation });
    Object.freeze(this);
  }

  /** The operation's fields are snake_case in JSON too, like every event's (DESIGN §11). */
  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    out.operation = snakeKeys(this.operation);
    return out;
  }
}

function snakeKeys(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return out;
}

/**
 * Every event class by its type. The one list of event names: the map type that makes `hook("message_sent")` type its
 * handler, EVENT_TYPES and the rebuilding of events from JSON all come from it.
 */
export const EVENT_CLASSES = {
  session_created: SessionCreatedEvent,
  session_killed: SessionKilledEvent,
  terminal_created: TerminalCreatedEvent,
  terminal_killed: TerminalKilledEvent,
  message_sent: MessageSentEvent,
  operation_denied: OperationDeniedEvent,
} as const;

/** Event name → event class instance. */
export type CaoEventMap = { [K in keyof typeof EVENT_CLASSES]: InstanceType<(typeof EVENT_CLASSES)[K]> };

export type CaoEventType = keyof CaoEventMap;

export const EVENT_TYPES = Object.freeze(Object.keys(EVENT_CLASSES)) as readonly CaoEventType[];

export function isEventType(value: unknown): value is CaoEventType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(EVENT_CLASSES, value);
}

/**
 * The event a `toJSON()` shape describes, rebuilt as its own class (frozen, `instanceof`-correct): how events reach a
 * plugin in a worker thread, and how a forwarding plugin's receiver can revive what it was sent. Throws for a shape
 * whose `event_type` is not one of EVENT_TYPES.
 */
export function eventFromJSON(json: Readonly<Record<string, unknown>>): CaoEvent {
  const type = json.event_type;
  if (!isEventType(type)) throw new TypeError(`not a known event type: ${JSON.stringify(type)}`);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === "event_type") continue;
    fields[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  if (typeof fields.timestamp === "string") fields.timestamp = new Date(fields.timestamp);
  const EventClass = EVENT_CLASSES[type] as new (fields: never) => CaoEvent;
  return new EventClass(fields as never);
}
