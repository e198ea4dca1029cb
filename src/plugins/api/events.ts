/**
 * The events CAO emits to plugins (docs/contract.md, "Events"). Each is a small typed class made by defineEvent from
 * its type and its fields, each field written once; the services construct them with one object of fields.
 */
import { camelKeys, snakeCase, snakeKeys } from "../../contract/case.js";
import {
  EVENT_TYPES as TYPES,
  ORCHESTRATION_TYPES,
  type AgentNotificationKind,
  type EventType,
  type FlowRunOutcome,
  type FlowRunTrigger,
  type OrchestrationType,
  type TerminalStatus,
} from "../../contract/vocabulary.js";

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

export { ORCHESTRATION_TYPES, type OrchestrationType };

interface BaseFields {
  /** The tmux session name (`cao-…`), or null when the event belongs to no session. */
  sessionId?: string | null;
  /** Defaults to now; accepted so recorded or replayed events keep their time. */
  timestamp?: Date;
}

/**
 * Base of every event. Every event class freezes its instances at the end of construction: an event is a value,
 * shared by every plugin that receives it, so no plugin can change it under another's feet.
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
    for (const [key, value] of Object.entries(this))
      out[snakeCase(key)] = value instanceof Date ? value.toISOString() : value;
    return out;
  }
}

/** One field of an event, written once in its spec: `field<string>()`, or `optionalField(fallback)`. */
export interface Field<T, Optional extends boolean = boolean> {
  readonly optional: Optional;
  readonly fallback?: T;
  /** Carries T for the types; never set. */
  readonly type?: T;
}

const field = <T>(): Field<T, false> => ({ optional: false });
const optionalField = <T>(fallback: T): Field<T, true> => ({ optional: true, fallback });

type FieldType<F> = F extends Field<infer T, boolean> ? T : never;
type Spec = Record<string, Field<unknown>>;
type RequiredKeys<S extends Spec> = { [K in keyof S]: S[K] extends Field<unknown, true> ? never : K }[keyof S];
type OptionalKeys<S extends Spec> = Exclude<keyof S, RequiredKeys<S>>;

/** What an event's constructor takes: its fields (optional ones may be left out) and the base fields. */
export type EventInput<S extends Spec> = { [K in RequiredKeys<S>]: FieldType<S[K]> } & {
  [K in OptionalKeys<S>]?: FieldType<S[K]>;
} & BaseFields;
/** The fields an event instance carries. */
export type EventOutput<S extends Spec> = { readonly [K in keyof S]: FieldType<S[K]> };

/** A class made by defineEvent: `new` takes the event's input; instances carry its fields, typed and frozen. */
export interface EventClass<Type extends string, S extends Spec> {
  new (fields: EventInput<S>): CaoEvent & EventOutput<S> & { readonly eventType: Type };
  /** The event's own fields, in order (not the base fields). */
  readonly fields: readonly (keyof S & string)[];
}

/**
 * An event class from its type and its fields, each spelled once. Instances copy their fields from the constructor's
 * argument (optional ones fall back to their default), after `prepare` if given, and freeze themselves.
 */
function defineEvent<const Type extends EventType, const S extends Spec>(
  eventType: Type,
  spec: S,
  prepare?: (fields: Record<string, unknown>) => Record<string, unknown>,
): EventClass<Type, S> {
  const names = Object.keys(spec) as (keyof S & string)[];
  class Defined extends CaoEvent {
    readonly eventType = eventType;
    static readonly fields = names;
    constructor(input: EventInput<S>) {
      super(input);
      const values = prepare ? prepare(input as Record<string, unknown>) : (input as Record<string, unknown>);
      for (const name of names) {
        const value = values[name];
        (this as Record<string, unknown>)[name] =
          value === undefined && spec[name]!.optional ? spec[name]!.fallback : value;
      }
      Object.freeze(this);
    }
  }
  return Defined as unknown as EventClass<Type, S>;
}

/** A session and its first terminal exist. */
export class SessionCreatedEvent extends defineEvent("session_created", { sessionName: field<string>() }) {}

/** A session, its terminals and their records are gone. */
export class SessionKilledEvent extends defineEvent("session_killed", { sessionName: field<string>() }) {}

/** A terminal is up (its agent ready) and recorded. */
export class TerminalCreatedEvent extends defineEvent("terminal_created", {
  terminalId: field<string>(),
  /** The agent profile's name. */
  agentName: field<string>(),
  provider: field<string>(),
}) {}

/** A terminal is gone. */
export class TerminalKilledEvent extends defineEvent("terminal_killed", {
  terminalId: field<string>(),
  agentName: field<string>(),
}) {}

/** A message was typed into its receiver (handoff and assign: the task; send_message: at inbox delivery). */
export class MessageSentEvent extends defineEvent("message_sent", {
  sender: field<string>(),
  receiver: field<string>(),
  message: field<string>(),
  orchestrationType: field<OrchestrationType>(),
}) {}

/** A terminal's detected status changed: seen by the status monitor within about a second. */
export class TerminalStatusChangedEvent extends defineEvent("terminal_status_changed", {
  terminalId: field<string>(),
  agentName: field<string>(),
  /** The status seen before. */
  previousStatus: field<TerminalStatus>(),
  status: field<TerminalStatus>(),
}) {}

const inbox = { messageId: field<number>(), sender: field<string>(), receiver: field<string>() };

/** A send_message was accepted and persisted in the receiver's inbox. */
export class InboxMessageQueuedEvent extends defineEvent("inbox_message_queued", {
  ...inbox,
  message: field<string>(),
}) {}

/** An inbox message was typed into its receiver; the `message_sent` event follows it. */
export class InboxMessageDeliveredEvent extends defineEvent("inbox_message_delivered", inbox) {}

/** An inbox message can never be delivered (its receiver is gone or exited, or typing failed every attempt). */
export class InboxMessageFailedEvent extends defineEvent("inbox_message_failed", {
  ...inbox,
  reason: field<string>(),
}) {}

/** An interceptor denied an operation; dispatched after the caller was told. */
export class OperationDeniedEvent extends defineEvent(
  "operation_denied",
  {
    /** The interception point (`pre_send_message`, …). */
    point: field<string>(),
    /** The plugin whose interceptor denied it. */
    plugin: field<string>(),
    reason: field<string>(),
    /** The intercepted operation's fields, as the denying interceptor saw them. */
    operation: field<Readonly<Record<string, unknown>>>(),
  },
  (fields) => ({ ...fields, operation: Object.freeze({ ...(fields.operation as Record<string, unknown>) }) }),
) {
  /** The operation's fields are snake_case in JSON too, like every event's. */
  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    out.operation = snakeKeys(this.operation);
    return out;
  }
}

/** The fields every agent-hook event carries: which terminal's agent, and its CLI (docs/contract.md#agent-hooks). */
const agent = { terminalId: field<string>(), agentName: field<string>(), provider: field<string>() };

/** Tokens an agent's turn used, summed over the turn's model requests. */
export interface AgentUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The agent's CLI took a prompt and its turn began (Claude Code: UserPromptSubmit). */
export class AgentTurnStartedEvent extends defineEvent("agent_turn_started", { ...agent, prompt: field<string>() }) {}

/** The agent is about to run a tool, after the `pre_tool_use` interceptors allowed it (with their changes). */
export class AgentToolStartedEvent extends defineEvent(
  "agent_tool_started",
  {
    ...agent,
    toolName: field<string>(),
    /** The tool's input as the CLI reported it (its keys as the CLI spells them). */
    toolInput: field<Readonly<Record<string, unknown>>>(),
    /** The CLI's id of this call; null when the CLI gives none. */
    toolUseId: optionalField<string | null>(null),
  },
  (fields) => ({ ...fields, toolInput: Object.freeze({ ...(fields.toolInput as Record<string, unknown>) }) }),
) {}

/** A tool the agent ran finished, or failed. */
export class AgentToolFinishedEvent extends defineEvent("agent_tool_finished", {
  ...agent,
  toolName: field<string>(),
  toolUseId: optionalField<string | null>(null),
  ok: field<boolean>(),
  /** What the tool gave back, as text, at most 4 KB. */
  output: field<string>(),
  /** From its agent_tool_started; null when that was not seen (the server started in between). */
  durationMs: optionalField<number | null>(null),
}) {}

/** The agent finished its turn (Claude Code: Stop). */
export class AgentTurnEndedEvent extends defineEvent(
  "agent_turn_ended",
  {
    ...agent,
    lastMessage: field<string>(),
    /** Tokens summed over the turn (from the CLI's transcript or hook data); null when the CLI does not tell. */
    usage: optionalField<AgentUsage | null>(null),
  },
  (fields) => ({ ...fields, usage: fields.usage ? Object.freeze({ ...(fields.usage as AgentUsage) }) : null }),
) {
  /** Nested keys are snake_case in JSON too, like every event's. */
  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    if (this.usage) out.usage = snakeKeys(this.usage as unknown as Record<string, unknown>);
    return out;
  }
}

/** The agent's CLI notified its user: a permission prompt, waiting for input, or something else. */
export class AgentNotificationEvent extends defineEvent("agent_notification", {
  ...agent,
  kind: field<AgentNotificationKind>(),
  message: field<string>(),
}) {}

const lifecycle = {
  plugin: field<string>(),
  /** Where the plugin came from: `dir` (a drop-in), `npm`, or `memory` (registry.add). */
  source: field<string>(),
  /** The npm package's version; null for drop-ins and in-memory plugins. */
  version: optionalField<string | null>(null),
};

/** A plugin was set up and receives events (at start-up, from a drop-in added, or registry.add). */
export class PluginLoadedEvent extends defineEvent("plugin_loaded", lifecycle) {}

/** A running plugin was swapped for its new version (hot reload). */
export class PluginReloadedEvent extends defineEvent("plugin_reloaded", lifecycle) {}

/**
 * A plugin was removed (its drop-in deleted, or registry.remove) after its queued events and teardown(). When the server
 * stops (registry.teardown()), every active plugin's is announced before the teardowns, so each plugin hears them all.
 */
export class PluginUnloadedEvent extends defineEvent("plugin_unloaded", lifecycle) {}

/** A plugin could not be loaded or reloaded: its import, its shape or its setup() failed. */
export class PluginFailedEvent extends defineEvent("plugin_failed", { ...lifecycle, error: field<string>() }) {}

const flowRun = {
  /** The flow's name (docs/flows.md). */
  flowName: field<string>(),
  trigger: field<FlowRunTrigger>(),
};

/** A flow's run began: its schedule came due, or someone ran it by hand. */
export class FlowRunStartedEvent extends defineEvent("flow_run_started", flowRun) {}

/**
 * A flow's run ended. `launched`: its session (`cao-flow-<name>`, the event's session) was started and prompted;
 * `skipped`: its script said not to, or its previous run's agent was still busy; `failed`: `reason` says why.
 */
export class FlowRunFinishedEvent extends defineEvent("flow_run_finished", {
  ...flowRun,
  outcome: field<FlowRunOutcome>(),
  /** The launched terminal; null unless the outcome is `launched`. */
  terminalId: optionalField<string | null>(null),
  /** Why it was skipped or failed; null when launched. */
  reason: optionalField<string | null>(null),
}) {}

export type SessionFields = ConstructorParameters<typeof SessionCreatedEvent>[0];
export type TerminalCreatedFields = ConstructorParameters<typeof TerminalCreatedEvent>[0];
export type TerminalKilledFields = ConstructorParameters<typeof TerminalKilledEvent>[0];
export type MessageSentFields = ConstructorParameters<typeof MessageSentEvent>[0];
export type TerminalStatusChangedFields = ConstructorParameters<typeof TerminalStatusChangedEvent>[0];
export type InboxMessageQueuedFields = ConstructorParameters<typeof InboxMessageQueuedEvent>[0];
export type InboxMessageDeliveredFields = ConstructorParameters<typeof InboxMessageDeliveredEvent>[0];
export type InboxMessageFailedFields = ConstructorParameters<typeof InboxMessageFailedEvent>[0];
export type OperationDeniedFields = ConstructorParameters<typeof OperationDeniedEvent>[0];
export type AgentTurnStartedFields = ConstructorParameters<typeof AgentTurnStartedEvent>[0];
export type AgentToolStartedFields = ConstructorParameters<typeof AgentToolStartedEvent>[0];
export type AgentToolFinishedFields = ConstructorParameters<typeof AgentToolFinishedEvent>[0];
export type AgentTurnEndedFields = ConstructorParameters<typeof AgentTurnEndedEvent>[0];
export type AgentNotificationFields = ConstructorParameters<typeof AgentNotificationEvent>[0];
export type PluginLifecycleFields = ConstructorParameters<typeof PluginLoadedEvent>[0];
export type PluginFailedFields = ConstructorParameters<typeof PluginFailedEvent>[0];
export type FlowRunStartedFields = ConstructorParameters<typeof FlowRunStartedEvent>[0];
export type FlowRunFinishedFields = ConstructorParameters<typeof FlowRunFinishedEvent>[0];

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
  agent_turn_started: AgentTurnStartedEvent,
  agent_tool_started: AgentToolStartedEvent,
  agent_tool_finished: AgentToolFinishedEvent,
  agent_turn_ended: AgentTurnEndedEvent,
  agent_notification: AgentNotificationEvent,
  plugin_loaded: PluginLoadedEvent,
  plugin_reloaded: PluginReloadedEvent,
  plugin_unloaded: PluginUnloadedEvent,
  plugin_failed: PluginFailedEvent,
  flow_run_started: FlowRunStartedEvent,
  flow_run_finished: FlowRunFinishedEvent,
} as const satisfies { readonly [K in EventType]: new (fields: never) => CaoEvent & { readonly eventType: K } };

/** Event name → event class instance. */
export type CaoEventMap = { [K in keyof typeof EVENT_CLASSES]: InstanceType<(typeof EVENT_CLASSES)[K]> };

export type CaoEventType = keyof CaoEventMap;

/** Every event type, from the contract (the same keys as EVENT_CLASSES, which the type above holds it to). */
export const EVENT_TYPES: readonly CaoEventType[] = TYPES;

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
  for (const [key, value] of Object.entries(camelKeys(json))) if (key !== "eventType") fields[key] = value;
  if (typeof fields.timestamp === "string") fields.timestamp = new Date(fields.timestamp);
  // operation_denied nests the operation, snake_case in JSON like the rest: back to the camelCase inline plugins see.
  if (type === "operation_denied" && typeof fields.operation === "object" && fields.operation !== null) {
    fields.operation = camelKeys(fields.operation as Record<string, unknown>);
  }
  if (type === "agent_turn_ended" && typeof fields.usage === "object" && fields.usage !== null) {
    fields.usage = camelKeys(fields.usage as Record<string, unknown>);
  }
  const EventClass = EVENT_CLASSES[type] as new (fields: never) => CaoEvent;
  return new EventClass(fields as never);
}
