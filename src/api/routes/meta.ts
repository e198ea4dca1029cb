import type { FastifyInstance } from "fastify";
import type { ProfileDetail, ProfileSummary, ProviderInfo } from "../../contract/api.js";
import type { ProfileStore } from "../../profiles/profiles.js";
import type { ProviderRegistry } from "../../providers/index.js";
import type { AgentProfile } from "../../providers/provider.js";

/** A profile as the API shows it (snake_case, as the Python CAO's routes). */
function profileJson(profile: AgentProfile): ProfileDetail {
  return {
    name: profile.name,
    description: profile.description,
    provider: profile.provider ?? null,
    model: profile.model ?? null,
    system_prompt: profile.systemPrompt,
    mcp_servers: profile.mcpServers ?? {},
  };
}

export function metaRoutes(app: FastifyInstance, deps: { providers: ProviderRegistry; profiles: ProfileStore }): void {
  app.get("/health", async () => ({ status: "ok", service: "cli-agent-orchestrator" }));
  app.get("/agents/providers", async (): Promise<ProviderInfo[]> => deps.providers.describe());
  // A profile that fails to parse is listed without its details rather than hiding the others.
  app.get("/agents/profiles", async () =>
    deps.profiles.names().map((name): ProfileSummary => {
      try {
        const { name: _name, description, provider } = profileJson(deps.profiles.load(name));
        return { name, description, provider };
      } catch (error) {
        return { name, description: "", provider: null, error: (error as Error).message };
      }
    }),
  );
  app.get<{ Params: { name: string } }>("/agents/profiles/:name", async (request) =>
    profileJson(deps.profiles.load(request.params.name)),
  );
}
