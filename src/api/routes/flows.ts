import type { FastifyInstance } from "fastify";
import type { Flow, FlowRunResult } from "../../contract/index.js";
import type { FlowService } from "../../services/flows/flow-service.js";
import { ValidationError } from "../../util/validate.js";

type Params = { name: string };

const FIELD_KEYS = ["name", "schedule", "agent_profile", "provider", "prompt_template"] as const;

/** docs/contract.md#flows: the Python CAO's `/flows` routes, plus `file_path` on `POST /flows` for `cao schedule add`. */
export function flowRoutes(app: FastifyInstance, deps: { flows: FlowService }): void {
  const { flows } = deps;

  app.get("/flows", async (): Promise<Flow[]> => flows.list());

  app.get<{ Params: Params }>("/flows/:name", async (request): Promise<Flow> => flows.get(request.params.name));

  app.post<{ Body: Record<string, unknown> }>("/flows", async (request, reply) => {
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new ValidationError(
        "body must be a JSON object: {file_path} or {name, schedule, agent_profile, prompt_template}",
      );
    if (body.file_path !== undefined) {
      const extra = FIELD_KEYS.filter((key) => body[key] !== undefined);
      if (extra.length > 0)
        throw new ValidationError(`file_path cannot be combined with ${extra.join(", ")}: the file holds those`);
      return reply.status(201).send(flows.addFile(body.file_path as string));
    }
    for (const key of FIELD_KEYS) {
      const value = body[key];
      if (value === undefined && key !== "provider")
        throw new ValidationError(`${key} is required (or give file_path)`);
      if (value !== undefined && typeof value !== "string") throw new ValidationError(`${key} must be a string`);
    }
    const flow = flows.addFields({
      name: body.name as string,
      schedule: body.schedule as string,
      agentProfile: body.agent_profile as string,
      ...(body.provider !== undefined ? { provider: body.provider as string } : {}),
      promptTemplate: body.prompt_template as string,
    });
    return reply.status(201).send(flow);
  });

  app.delete<{ Params: Params }>("/flows/:name", async (request) => {
    flows.remove(request.params.name);
    return { success: true };
  });

  app.post<{ Params: Params }>("/flows/:name/enable", async (request) => {
    flows.enable(request.params.name);
    return { success: true };
  });

  app.post<{ Params: Params }>("/flows/:name/disable", async (request) => {
    flows.disable(request.params.name);
    return { success: true };
  });

  app.post<{ Params: Params }>("/flows/:name/run", async (request): Promise<FlowRunResult> => ({
    executed: await flows.runNow(request.params.name),
  }));
}
