/**
 * The events CAO emits to plugins (DESIGN §4, §12). Each is a small typed class; the services construct them
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

export interface TerminalStatusChangedFields extends BaseFields {
  terminalId: string;
  agentName: string;
  /** The status seen before (`idle`, `processing`, `completed`, `waiting_user_answer`, `error`). */
  previousStatus: string;
  status: string;
}

/** A terminal's detected status changed (DESIGN §12): seen by the status monitor within about a second. */
export class TerminalStatusChangedEvent extends CaoEvent {
  readonly eventType = "terminal_status_changed" as const;
  readonly terminalId: string;
  readonly agentName: string;
  readonly previousStatus: string;
  readonly status: string;
  constructor(fields: TerminalStatusChangedFields) {
    super(fields);
    this.terminalId = fields.terminalId;
    this.agentName = fields.agentName;
    this.previousStatus = fields.previousStatus;
    this.status = fields.status;
    Object.freeze(this);
  }
}

interface InboxFields extends BaseFields {
  messageId: number;
  sender: string;
  receiver: string;
}

export interface InboxMessageQueuedFields extends InboxFields {
  message: string;
}

/** A send_message was accepted and persisted in the receiver's inbox. */
export class InboxMessageQueuedEvent extends CaoEvent {
  readonly eventType = "inbox_message_queued" as const;
  readonly messageId: number;
  readonly sender: string;
  readonly receiver: string;
  readonly message: string;
  constructor(fields: InboxMessageQueuedFields) {
    super(fields);
    this.messageId = fields.messageId;
    this.sender = fields.sender;
    this.receiver = fields.receiver;
    this.message = fields.message;
    Object.freeze(this);
  }
}

export type InboxMessageDeliveredFields = InboxFields;

/** An inbox message was typed into its receiver; the `message_sent` event follows it. */
export class InboxMessageDeliveredEvent extends CaoEvent {
  readonly eventType = "inbox_message_delivered" as const;
  readonly messageId: number;
  readonly sender: string;
  readonly receiver: string;
  constructor(fields: InboxMessageDeliveredFields) {
    super(fields);
    this.messageId = fields.messageId;
    this.sender = fields.sender;
    this.receiver = fields.receiver;
    Object.freeze(this);
  }
}

export interface InboxMessageFailedFields extends InboxFields {
  reason: string;
}

/** An inbox message can never be delivered (its receiver is gone or exited, or typing failed every attempt). */
export class InboxMessageFailedEvent extends CaoEvent {
  readonly eventType = "inbox_message_failed" as const;
  readonly messageId: number;
  readonly sender: string;
  readonly receiver: string;
  readonly reason: string;
  constructor(fields: InboxMessageFailedFields) {
    super(fields);
    this.messageId = fields.messageId;
    this.sender = fields.sender;
    this.receiver = fields.receiver;
    this.reason = fields.reason;
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

function camelKeys(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return out;
}

function snakeKeys(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return out;
}

export interface PluginLifecycleFields extends BaseFields {
  plugin: string;
  /** Where the plugin came from: `dir` (a drop-in), `npm`, or `memory` (registry.add). */
  source: string;
  /** The npm package's version; null for drop-ins and in-memory plugins. */
  version?: string | null;
}

/** Base of the four plugin lifecycle events: which plugin, from where, which version. */
abstract class PluginLifecycleEvent extends CaoEvent {
  readonly plugin: string;
  readonly source: string;
  readonly version: string | null;
  constructor(fields: PluginLifecycleFields) {
    super(fields);
    this.plugin = fields.plugin;
    this.source = fields.source;
    this.version = fields.version ?? null;
  }
}

/** A plugin was set up and receives events (at start-up, from a drop-in added, or registry.add). */
export class PluginLoadedEvent extends PluginLifecycleEvent {
  readonly eventType = "plugin_loaded" as const;
  constructor(fields: PluginLifecycleFields) {
    super(fields);
    Object.freeze(this);
  }
}

/** A running plugin was swapped for its new version (hot reload). */
export class PluginReloadedEvent extends PluginLifecycleEvent {
  readonly eventType = "plugin_reloaded" as const;
  constructor(fields: PluginLifecycleFields) {
    super(fields);
    Object.freeze(this);
  }
}

/** A plugin was removed (its drop-in deleted, or registry.remove) after its queued events and teardown(). */
export class PluginUnloadedEvent extends PluginLifecycleEvent {
  readonly eventType = "plugin_unloaded" as const;
  constructor(fields: PluginLifecycleFields) {
    super(fields);
    Object.freeze(this);
  }
}

export interface PluginFailedFields extends PluginLifecycleFields {
  error: string;
}

/** A plugin could not be loaded or reloaded: its import, its shape or its setup() failed. */
export class PluginFailedEvent extends PluginLifecycleEvent {
  readonly eventType = "plugin_failed" as const;
  readonly error: string;
  constructor(fields: PluginFailedFields) {
    super(fields);
    this.error = fields.error;
    Object.freeze(this);
  }
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
  terminal_status_changed: TerminalStatusChangedEvent,
  inbox_message_queued: InboxMessageQueuedEvent,
  inbox_message_delivered: InboxMessageDeliveredEvent,
  inbox_message_failed: InboxMessageFailedEvent,
  operation_denied: OperationDeniedEvent,
  plugin_loaded: PluginLoadedEvent,
  plugin_reloaded: PluginReloadedEvent,
  plugin_unloaded: PluginUnloadedEvent,
  plugin_failed: PluginFailedEvent,
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
  // operation_denied nests the operation, snake_case in JSON like the rest: back to the camelCase inline plugins see.
  if (type === "operation_denied" && typeof fields.operation === "object" && fields.operation !== null) {
    fields.operation = camelKeys(fields.operation as Record<string, unknown>);
  }
  const EventClass = EVENT_CLASSES[type] as new (fields: never) => CaoEvent;
  return new EventClass(fields as never);
}
