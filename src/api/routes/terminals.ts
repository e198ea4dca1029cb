import type { FastifyInstance } from "fastify";
import type { OrchestrationType } from "../../plugins/api/events.js";
import type { SessionService } from "../../services/session-service.js";
import type { TerminalService } from "../../services/terminal-service.js";
import { message, orchestrationType, terminalId, terminalParams } from "../schemas.js";

type Params = { terminal_id: string };

export function terminalRoutes(
  app: FastifyInstance,
  deps: { terminals: TerminalService; sessions: SessionService },
): void {
  const { terminals, sessions } = deps;

  app.get<{ Params: Params }>("/terminals/:terminal_id", { schema: { params: terminalParams } }, async (request) =>
    terminals.get(request.params.terminal_id),
  );

  app.get<{ Params: Params }>(
    "/terminals/:terminal_id/working-directory",
    { schema: { params: terminalParams } },
    async (request) => ({
      working_directory: await terminals.workingDirectory(request.params.terminal_id),
    }),
  );

  app.post<{ Params: Params; Body: { message: string; sender_id?: string; orchestration_type?: OrchestrationType } }>(
    "/terminals/:terminal_id/input",
    {
      schema: {
        params: terminalParams,
        body: {
          type: "object",
          required: ["message"],
          properties: { message, sender_id: terminalId, orchestration_type: orchestrationType },
        },
      },
    },
    async (request) => {
      const { message: text, sender_id, orchestration_type } = request.body;
      await terminals.sendInput(request.params.terminal_id, text, {
        ...(sender_id !== undefined ? { senderId: sender_id } : {}),
        ...(orchestration_type !== undefined ? { orchestrationType: orchestration_type } : {}),
      });
      return { success: true };
    },
  );

  // The Python CAO's clients send `key` in the query string; the parameter merge (src/api/params.ts) takes both.
  app.post<{ Params: Params; Body: { key: string } }>(
    "/terminals/:terminal_id/key",
    {
      schema: {
        params: terminalParams,
        body: { type: "object", required: ["key"], properties: { key: { type: "string", maxLength: 16 } } },
      },
    },
    async (request) => {
      await terminals.sendKey(request.params.terminal_id, request.body.key);
      return { success: true };
    },
  );

  app.get<{ Params: Params; Querystring: { mode?: "full" | "last" } }>(
    "/terminals/:terminal_id/output",
    {
      schema: {
        params: terminalParams,
        querystring: { type: "object", properties: { mode: { type: "string", enum: ["full", "last"] } } },
      },
    },
    async (request) => {
      const mode = request.query.mode ?? "full";
      return { output: await terminals.output(request.params.terminal_id, mode), mode };
    },
  );

  app.post<{ Params: Params }>(
    "/terminals/:terminal_id/exit",
    { schema: { params: terminalParams } },
    async (request) => {
      await terminals.exit(request.params.terminal_id);
      return { success: true };
    },
  );

  app.delete<{ Params: Params }>("/terminals/:terminal_id", { schema: { params: terminalParams } }, async (request) => {
    await sessions.deleteTerminal(request.params.terminal_id);
    return { success: true };
  });
}
