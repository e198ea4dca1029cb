import type { FastifyInstance } from "fastify";
import type { ProviderRegistry } from "../../providers/index.js";

export function metaRoutes(app: FastifyInstance, deps: { providers: ProviderRegistry }): void {
  app.get("/health", async () => ({ status: "ok", service: "cli-agent-orchestrator" }));
  app.get("/agents/providers", async () => deps.providers.describe());
}
