/** The contract shared by server, clients and dashboard (docs/contract.md): vocabulary, JSON shapes, key case. */
export * from "./vocabulary.js";
export type * from "./api.js";
export { camelCase, camelKeys, snakeCase, snakeKeys } from "./case.js";
export * from "./fleet.js";
export { oneLine, toolInputSummary } from "./agent-activity.js";
export type * from "./flows.js";
