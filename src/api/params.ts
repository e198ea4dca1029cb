import type { FastifyInstance } from "fastify";

/**
 * CAO's clients send POST parameters in the query string; others send JSON. Before validation, every POST gets one
 * parameter object in `request.body`: the query string overlaid by the JSON body, so one body schema covers both.
 */
export function installParameterMerge(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    if (request.method !== "POST") return;
    // A route whose body is someone else's format (an agent CLI's hook JSON) takes it as it came.
    if ((request.routeOptions.config as { ownBody?: boolean } | undefined)?.ownBody) return;
    const query = (request.query ?? {}) as Record<string, unknown>;
    const body = request.body;
    if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw Object.assign(new Error("the request body must be a JSON object"), { statusCode: 400 });
    }
    request.body = { ...query, ...((body as Record<string, unknown> | undefined) ?? {}) };
  });
}
