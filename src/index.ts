/**
 * `cli-agent-orchestrator`: the plugin API, the plugin host and the server, for programs that embed CAO.
 * Plugins import `cli-agent-orchestrator/plugins` (the API alone); the host alone is `cli-agent-orchestrator/host`.
 */
export * from "./plugins/api/index.js";
export * from "./plugins/host/index.js";
export { createServer, type CaoServer, type ServerOptions } from "./server.js";
