import type { FastifyInstance } from "fastify";
import type { PluginRegistry } from "../../plugins/host/registry.js";
import type { ProviderRegistry } from "../../providers/index.js";

export function metaRoutes(app: FastifyInstance, deps: { providers: ProviderRegistry; registry: PluginRegistry }): void {
  app.get("/health", async () => ({ status: "ok", service: "cli-agent-orchestrator" }));
  app.get("/agents/providers", async () => deps.providers.describe());
  app.get("/plugins", async () => deps.registry.list());
}
