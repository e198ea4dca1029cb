import type { FastifyInstance } from "fastify";
import { AGENT_HOOK_TOKEN_HEADER } from "../../contract/vocabulary.js";
import type { AgentHookService } from "../../services/agent-hooks/agent-hook-service.js";
import { terminalParams } from "../schemas.js";

/** Tool inputs and outputs can be whole files: hook calls may be larger than other requests. */
const HOOK_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * `POST /terminals/:terminal_id/agent-hooks` (docs/contract.md#agent-hooks): the agent CLI's own hook JSON, with its
 * terminal's secret in X-CAO-Hook-Token; the reply is the CLI's answer (a tool call's decision, else `{}`).
 * `?event=` names the hook's event for CLIs that leave it out of the body (the hook command passes it).
 */
export function agentHookRoutes(app: FastifyInstance, deps: { agentHooks: AgentHookService }): void {
  app.post<{ Params: { terminal_id: string }; Querystring: { event?: string } }>(
    "/terminals/:terminal_id/agent-hooks",
    {
      bodyLimit: HOOK_BODY_LIMIT,
      config: { ownBody: true },
      schema: {
        params: terminalParams,
        querystring: {
          type: "object",
          properties: { event: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,63}$" } },
        },
      },
    },
    async (request) => {
      const token = request.headers[AGENT_HOOK_TOKEN_HEADER];
      const reply = await deps.agentHooks.handle(
        request.params.terminal_id,
        typeof token === "string" ? token : undefined,
        request.body,
        request.query.event,
      );
      return reply.body;
    },
  );
}
