/**
 * The plugin API: what plugin authors import, as `cli-agent-orchestrator/plugins`. Nothing here touches the file
 * system or loads the server's machinery (jiti, chokidar, pino), so an npm plugin that imports it stays light.
 * The registry that runs plugins is `cli-agent-orchestrator/host`.
 */
export { CaoPlugin, type PluginContext, type PluginIsolation, type PluginLogger } from "./plugin.js";
export type { ConfigOf, StandardSchemaV1 } from "./standard-schema.js";
export { hook, type HookDecorator } from "./hook.js";
export { HOOK_ALIASES, canonicalEventType, type HookAlias, type HookName } from "./aliases.js";
export { intercept, type InterceptDecorator, type InterceptOptions } from "./intercept.js";
export {
  allow,
  deny,
  modify,
  type AllowDecision,
  type Decision,
  type DenyDecision,
  type InterceptResult,
  type ModifyDecision,
} from "./decisions.js";
export {
  CHANGEABLE_FIELDS,
  INTERCEPT_POINTS,
  isInterceptPoint,
  type ChangeableField,
  type InterceptPoint,
  type InterceptPointMap,
  type PatchOf,
  type PreCreateSession,
  type PreCreateTerminal,
  type PreSendMessage,
  type PreToolUse,
} from "./points.js";
export {
  definePlugin,
  type DefinedPlugin,
  type HookFunction,
  type HookTable,
  type InterceptFunction,
  type InterceptSpec,
  type InterceptTable,
  type PluginDefinition,
} from "./define.js";
export {
  AgentNotificationEvent,
  AgentToolFinishedEvent,
  AgentToolStartedEvent,
  AgentTurnEndedEvent,
  AgentTurnStartedEvent,
  CaoEvent,
  EVENT_CLASSES,
  EVENT_TYPES,
  eventFromJSON,
  EventTimestamp,
  FlowRunFinishedEvent,
  FlowRunStartedEvent,
  InboxMessageDeliveredEvent,
  InboxMessageFailedEvent,
  InboxMessageQueuedEvent,
  isEventType,
  MessageSentEvent,
  OperationDeniedEvent,
  ORCHESTRATION_TYPES,
  PluginFailedEvent,
  PluginLoadedEvent,
  PluginReloadedEvent,
  PluginUnloadedEvent,
  SessionCreatedEvent,
  SessionKilledEvent,
  TerminalCreatedEvent,
  TerminalKilledEvent,
  TerminalStatusChangedEvent,
  type AgentUsage,
  type CaoEventMap,
  type CaoEventType,
  type OperationDeniedFields,
  type OrchestrationType,
} from "./events.js";
