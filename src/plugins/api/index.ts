/**
 * The public plugin API: `import { CaoPlugin, hook, … } from "cli-agent-orchestrator/plugins"`.
 */
export { CaoPlugin, hook, type HookDecorator, type PluginContext, type PluginLogger } from "./base.js";
export { definePlugin, type DefinedPlugin, type HookFunction, type HookTable, type PluginDefinition } from "./define.js";
export {
  CaoEvent,
  EVENT_TYPES,
  EventTimestamp,
  isEventType,
  MessageSentEvent,
  ORCHESTRATION_TYPES,
  SessionCreatedEvent,
  SessionKilledEvent,
  TerminalCreatedEvent,
  TerminalKilledEvent,
  type CaoEventMap,
  type CaoEventType,
  type OrchestrationType,
} from "./events.js";
export { PluginRegistry, type EventSink, type PluginInfo, type PluginStatus } from "./registry.js";
export { DEFAULTS as PLUGIN_DEFAULTS, type RegistryOptions } from "./options.js";
export type { QueueStats } from "./plugin-queue.js";
