/**
 * The plugin API: what plugin authors import, as `cli-agent-orchestrator/plugins`. Nothing here touches the file
 * system or loads the server's machinery (jiti, chokidar, pino), so an npm plugin that imports it stays light.
 * The registry that runs plugins is `cli-agent-orchestrator/host`.
 */
export { CaoPlugin, type PluginContext, type PluginLogger } from "./plugin.js";
export type { ConfigOf, StandardSchemaV1 } from "./standard-schema.js";
export { hook, type HookDecorator } from "./hook.js";
export { definePlugin, type DefinedPlugin, type HookFunction, type HookTable, type PluginDefinition } from "./define.js";
export {
  CaoEvent,
  EVENT_CLASSES,
  EVENT_TYPES,
  EventTimestamp,
  InboxMessageDeliveredEvent,
  InboxMessageFailedEvent,
  InboxMessageQueuedEvent,
  isEventType,
  MessageSentEvent,
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
  type CaoEventMap,
  type CaoEventType,
  type OrchestrationType,
} from "./events.js";
