import type { FastifyInstance } from "fastify";
import type { AgentDirs, ProfileDetail, ProfileSummary, ProviderInfo } from "../../contract/api.js";
import { ProfileNotFoundError, type ProfileStore } from "../../profiles/profiles.js";
import type { ProviderRegistry } from "../../providers/index.js";
import type { AgentProfile } from "../../providers/provider.js";
import { loadCustomRoles } from "../../services/tool-restrictions/custom-roles.js";
import { resolveToolAccess } from "../../services/tool-restrictions/resolve-tools.js";
import { NotFoundError } from "../../util/errors.js";

/**
 * A profile as the API shows it (snake_case, as the Python CAO's routes), with the tools its agents get when a launch
 * names none: what handoff and assign give a worker, by the Python CAO's rule (src/mcp/worker-tools.ts).
 */
function profileJson(profile: AgentProfile, settingsFile: string): ProfileDetail {
  const role = profile.extra?.role;
  return {
    name: profile.name,
    description: profile.description,
    provider: profile.provider ?? null,
    model: profile.model ?? null,
    system_prompt: profile.systemPrompt,
    mcp_servers: profile.mcpServers ?? {},
    role: typeof role === "string" ? role : null,
    allowed_tools: resolveToolAccess({ profile, customRoles: loadCustomRoles(settingsFile) }).allowed,
  };
}

export function metaRoutes(app: FastifyInstance, deps: { providers: ProviderRegistry; profiles: ProfileStore }): void {
  app.get("/health", async () => ({ status: "ok", service: "cli-agent-orchestrator" }));
  app.get("/agents/providers", async (): Promise<ProviderInfo[]> => deps.providers.describe());
  // A profile that does not load is listed with its error rather than hiding the others.
  app.get("/agents/profiles", async () =>
    deps.profiles.list().map((listing): ProfileSummary => ({
      name: listing.name,
      description: listing.profile?.description ?? "",
      provider: listing.profile?.provider ?? null,
      source: listing.dir.source,
      dir: listing.dir.dir,
      loadable: listing.profile !== undefined,
      duplicated_in: listing.shadows.map((dir) => dir.source),
      ...(listing.error !== undefined ? { error: listing.error } : {}),
    })),
  );
  app.get<{ Params: { name: string } }>("/agents/profiles/:name", async (request) => {
    try {
      return profileJson(deps.profiles.load(request.params.name), deps.profiles.settingsFile);
    } catch (error) {
      if (error instanceof ProfileNotFoundError) throw new NotFoundError(error.message);
      throw error;
    }
  });
  app.get("/settings/agent-dirs", async (): Promise<AgentDirs> => {
    const settings = deps.profiles.settings();
    return {
      agent_dirs: settings.agentDirs,
      extra_dirs: settings.extraAgentDirs,
      disabled_dirs: settings.disabledAgentDirs,
      dirs: deps.profiles.dirs().map(({ dir, source }) => ({ dir, source })),
    };
  });
}
