/**
 * The plugin host, for the server and for embedders: `import { PluginRegistry } from "cli-agent-orchestrator/host"`.
 * Plugin authors import `cli-agent-orchestrator/plugins` instead, which loads none of this.
 */
export { PluginRegistry, type PluginInfo, type PluginStatus } from "./registry.js";
export { DEFAULTS as PLUGIN_DEFAULTS, type PluginSettings, type RegistryOptions } from "./options.js";
export type { QueueStats } from "./delivery/plugin-queue.js";
export type { EventSink } from "../../services/event-sink.js";
