import type { FastifyInstance } from "fastify";
import { AgentStepFailure, type AgentStepRunner } from "../../services/agent-step.js";
import { parseAllowedTools } from "../allowed-tools.js";
import { message, profileName, providerName, sessionName, terminalId, workingDirectory } from "../schemas.js";

interface RunStepBody {
  provider?: string;
  agent: string;
  prompt: string;
  session_name?: string;
  reuse_terminal_id?: string;
  teardown?: boolean;
  timeout?: number;
  working_directory?: string;
  caller_id?: string;
  allowed_tools?: unknown;
}

/** Seconds a step may take at most, as handoff's own limit (src/mcp/orchestration.ts). */
const MAX_STEP_SECONDS = 3600;

/**
 * `POST /terminals/run-step`: one agent step in one call, the route the Python CAO's handoff tool uses
 * (docs/compatibility.md). A step that fails answers the Python CAO's structured detail, `{message, kind,
 * terminal_id}`, with 502 when the worker failed and 504 when it ran long; any other problem is the usual `{detail}`.
 */
export function runStepRoutes(app: FastifyInstance, deps: { agentSteps: AgentStepRunner }): void {
  app.post<{ Body: RunStepBody }>(
    "/terminals/run-step",
    {
      schema: {
        body: {
          type: "object",
          required: ["agent", "prompt"],
          properties: {
            provider: providerName,
            agent: profileName,
            prompt: message,
            session_name: sessionName,
            reuse_terminal_id: terminalId,
            teardown: { type: "boolean" },
            timeout: { type: "number", exclusiveMinimum: 0, maximum: MAX_STEP_SECONDS },
            working_directory: workingDirectory,
            caller_id: terminalId,
            allowed_tools: {},
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const allowedTools = parseAllowedTools(body.allowed_tools);
      try {
        return await deps.agentSteps.run({
          ...(body.provider !== undefined ? { provider: body.provider } : {}),
          agentProfile: body.agent,
          prompt: body.prompt,
          ...(body.session_name !== undefined ? { sessionName: body.session_name } : {}),
          ...(body.reuse_terminal_id !== undefined ? { reuseTerminalId: body.reuse_terminal_id } : {}),
          teardown: body.teardown ?? true,
          timeoutSeconds: body.timeout ?? 600,
          ...(body.working_directory !== undefined ? { workingDirectory: body.working_directory } : {}),
          ...(body.caller_id !== undefined ? { callerId: body.caller_id } : {}),
          ...(allowedTools !== undefined ? { allowedTools } : {}),
        });
      } catch (error) {
        if (!(error instanceof AgentStepFailure)) throw error;
        return reply.status(error.kind === "timeout" ? 504 : 502).send({
          detail: { message: error.message, kind: error.kind, terminal_id: error.terminalId },
        });
      }
    },
  );
}
