import type { FastifyInstance } from "fastify";
import type { SessionService } from "../../services/session-service.js";
import type { TerminalService } from "../../services/terminal-service.js";
import { normalizeSessionName } from "../../util/session-name.js";
import { parseAllowedTools } from "../allowed-tools.js";
import {
  message,
  profileName,
  providerName,
  sessionName,
  sessionParams,
  terminalId,
  workingDirectory,
} from "../schemas.js";

interface NewTerminalBody {
  provider?: string;
  agent_profile: string;
  working_directory?: string;
  /** A comma-separated string (the Python CAO's query form) or an array. */
  allowed_tools?: unknown;
  initial_message?: string;
  caller_id?: string;
}
type NewSessionBody = Omit<NewTerminalBody, "caller_id"> & { session_name?: string };

/** What POST /sessions and POST /sessions/:name/terminals share (docs/contract.md). */
const terminalProperties = {
  provider: providerName,
  agent_profile: profileName,
  working_directory: workingDirectory,
  allowed_tools: {}, // checked by parseAllowedTools, which names the field in every error
  initial_message: message,
} as const;

/** The body's optional fields, by the services' names (absent stays absent). */
function terminalSpec(body: NewTerminalBody) {
  const allowedTools = parseAllowedTools(body.allowed_tools);
  return {
    agentProfile: body.agent_profile,
    ...(body.provider !== undefined ? { provider: body.provider } : {}),
    ...(body.working_directory !== undefined ? { workingDirectory: body.working_directory } : {}),
    ...(allowedTools !== undefined ? { allowedTools } : {}),
    ...(body.initial_message !== undefined ? { initialMessage: body.initial_message } : {}),
  };
}

/** `:session_name` takes the forms POST /sessions accepts: `t1` and `cao-t1` are the same session. */
function sessionOf(request: { params: { session_name: string } }): string {
  return normalizeSessionName(request.params.session_name);
}

export function sessionRoutes(
  app: FastifyInstance,
  deps: { sessions: SessionService; terminals: TerminalService },
): void {
  const { sessions } = deps;

  app.post<{ Body: NewSessionBody }>(
    "/sessions",
    {
      schema: {
        body: {
          type: "object",
          required: ["agent_profile"],
          properties: { ...terminalProperties, session_name: sessionName },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const terminal = await sessions.create({
        ...terminalSpec(body),
        ...(body.session_name !== undefined ? { sessionName: body.session_name } : {}),
      });
      return reply.status(201).send(terminal);
    },
  );

  app.get("/sessions", async () => sessions.list());

  app.get<{ Params: { session_name: string } }>(
    "/sessions/:session_name",
    { schema: { params: sessionParams } },
    async (request) => sessions.get(sessionOf(request)),
  );

  app.delete<{ Params: { session_name: string } }>(
    "/sessions/:session_name",
    { schema: { params: sessionParams } },
    async (request) => {
      await sessions.delete(sessionOf(request));
      return { success: true };
    },
  );

  app.post<{ Params: { session_name: string }; Body: NewTerminalBody }>(
    "/sessions/:session_name/terminals",
    {
      schema: {
        params: sessionParams,
        body: {
          type: "object",
          required: ["agent_profile"],
          properties: { ...terminalProperties, caller_id: terminalId },
        },
      },
    },
    async (request, reply) => {
      const { caller_id } = request.body;
      const terminal = await sessions.addTerminal(sessionOf(request), {
        ...terminalSpec(request.body),
        ...(caller_id !== undefined ? { callerId: caller_id } : {}),
      });
      return reply.status(201).send(terminal);
    },
  );

  app.get<{ Params: { session_name: string } }>(
    "/sessions/:session_name/terminals",
    { schema: { params: sessionParams } },
    async (request) => {
      const { terminals: list } = await sessions.get(sessionOf(request));
      return list;
    },
  );
}
