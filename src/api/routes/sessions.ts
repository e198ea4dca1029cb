import type { FastifyInstance } from "fastify";
import type { SessionService } from "../../services/session-service.js";
import type { TerminalService } from "../../services/terminal-service.js";
import { normalizeSessionName } from "../../util/session-name.js";
import { profileName, providerName, sessionName, sessionParams, workingDirectory } from "../schemas.js";

interface NewSessionBody {
  provider: string;
  agent_profile: string;
  session_name?: string;
  working_directory?: string;
}

/** `:session_name` takes the forms POST /sessions accepts: `t1` and `cao-t1` are the same session. */
function sessionOf(request: { params: { session_name: string } }): string {
  return normalizeSessionName(request.params.session_name);
}

export function sessionRoutes(
  app: FastifyInstance,
  deps: { sessions: SessionService; terminals: TerminalService },
): void {
  const { sessions, terminals } = deps;

  app.post<{ Body: NewSessionBody }>(
    "/sessions",
    {
      schema: {
        body: {
          type: "object",
          required: ["provider", "agent_profile"],
          properties: {
            provider: providerName,
            agent_profile: profileName,
            session_name: sessionName,
            working_directory: workingDirectory,
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const terminal = await sessions.create({
        provider: body.provider,
        agentProfile: body.agent_profile,
        ...(body.session_name !== undefined ? { sessionName: body.session_name } : {}),
        ...(body.working_directory !== undefined ? { workingDirectory: body.working_directory } : {}),
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

  app.post<{ Params: { session_name: string }; Body: Omit<NewSessionBody, "session_name"> }>(
    "/sessions/:session_name/terminals",
    {
      schema: {
        params: sessionParams,
        body: {
          type: "object",
          required: ["provider", "agent_profile"],
          properties: { provider: providerName, agent_profile: profileName, working_directory: workingDirectory },
        },
      },
    },
    async (request, reply) => {
      const sessionName = sessionOf(request);
      await sessions.get(sessionName); // 404 before any tmux change
      const terminal = await terminals.create({
        sessionName,
        provider: request.body.provider,
        agentProfile: request.body.agent_profile,
        ...(request.body.working_directory !== undefined ? { workingDirectory: request.body.working_directory } : {}),
        newSession: false,
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
