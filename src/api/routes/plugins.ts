import type { FastifyInstance } from "fastify";
import type { PluginRegistry } from "../../plugins/host/registry.js";

/** Plugin names: npm package names (scoped ones URL-encoded: `%40scope%2Fname`) or drop-in file names. */
const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", minLength: 1, maxLength: 214 } },
} as const;

interface NameParams {
  name: string;
}

/**
 * The plugin list and its management (docs/contract.md#configyaml). Unknown names are 404 `{detail}`; an enable or reload whose load
 * fails is 409 `{detail}` (the registry throws NotFoundError / ConflictError, the error handler answers).
 * The POST routes change state, so the request gate (Host, token, Origin) refuses them before they are routed.
 */
export function pluginRoutes(app: FastifyInstance, deps: { registry: PluginRegistry }): void {
  const { registry } = deps;
  app.get("/plugins", async () => registry.list());
  // Registered before /plugins/:name/… so "rescan" is never taken for a plugin's name.
  app.post("/plugins/rescan", async () => registry.rescan());
  app.get<{ Params: NameParams }>("/plugins/:name", { schema: { params: nameParams } }, async (request) =>
    registry.info(request.params.name),
  );
  app.post<{ Params: NameParams }>("/plugins/:name/reload", { schema: { params: nameParams } }, async (request) =>
    registry.reload(request.params.name),
  );
  app.post<{ Params: NameParams }>("/plugins/:name/enable", { schema: { params: nameParams } }, async (request) =>
    registry.enable(request.params.name),
  );
  app.post<{ Params: NameParams }>("/plugins/:name/disable", { schema: { params: nameParams } }, async (request) =>
    registry.disable(request.params.name),
  );
}
