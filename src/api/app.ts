import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { FleetSettings } from "../fleet/settings.js";
import type { PluginRegistry } from "../plugins/host/registry.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { AgentHookService } from "../services/agent-hooks/agent-hook-service.js";
import type { EventJournal } from "../services/event-journal.js";
import type { AgentStepRunner } from "../services/agent-step.js";
import type { FlowService } from "../services/flows/flow-service.js";
import type { InboxService } from "../services/inbox-service.js";
import type { PaneActivity } from "../services/pane-activity.js";
import type { SessionService } from "../services/session-service.js";
import type { TerminalService } from "../services/terminal-service.js";
import { clientErrorHandler } from "./client-errors.js";
import { installErrorHandling } from "./errors.js";
import { installParameterMerge } from "./params.js";
import { createRequestGate, type Refusal } from "./request-gate.js";
import { agentHookRoutes } from "./routes/agent-hooks.js";
import { eventRoutes } from "./routes/events.js";
import { flowRoutes } from "./routes/flows.js";
import { runStepRoutes } from "./routes/run-step.js";
import { fleetRoutes } from "./routes/fleet.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { inboxRoutes } from "./routes/inbox.js";
import { metaRoutes } from "./routes/meta.js";
import { pluginRoutes } from "./routes/plugins.js";
import type { ProfileStore } from "../profiles/profiles.js";
import { recordRoutes } from "./route-list.js";
import { sessionRoutes } from "./routes/sessions.js";
import { skillRoutes } from "./routes/skills.js";
import type { SkillStore } from "../skills/skills.js";
import { terminalRoutes } from "./routes/terminals.js";
import { terminalScreenRoutes } from "./routes/terminal-screen.js";

export interface AppDeps {
  logger: Logger;
  sessions: SessionService;
  terminals: TerminalService;
  inbox: InboxService;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  skills: SkillStore;
  registry: PluginRegistry;
  journal: EventJournal;
  agentHooks: AgentHookService;
  flows: FlowService;
  /** One agent step in one call (POST /terminals/run-step, the Python CAO's handoff). */
  agentSteps: AgentStepRunner;
  /** Which panes printed: drives the live screen stream (without it the stream polls). */
  activity?: PaneActivity;
  /** This server's fleet (docs/fleet.md), when it is in one: the /fleet routes answer from it. */
  fleet?: FleetSettings;
  /** Keep-alive period of the event stream (default 15 s). */
  keepAliveMs?: number;
  /** Host names accepted besides the loopback ones (the names a remote-mode server was bound to). */
  allowedHosts?: string[];
  /** When set, every request must carry `Authorization: Bearer <apiToken>` (CAO_API_TOKEN). */
  apiToken?: string;
}

/** CAO's clients put whole messages in the query string; allow request heads far beyond Node's 16 KB default. */
const MAX_HEADER_BYTES = 512 * 1024;

/** The fastify app: routes and hooks only; lifecycle (plugins, inbox, database) is wired by createServer. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    // Per-request lines are info-level noise for a local control server; errors still log.
    loggerInstance: deps.logger.child({ component: "http" }, { level: "warn" }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // No type coercion: `{"message": 42}` is a client bug to report, not text to type. Query values stay strings.
    ajv: { customOptions: { coerceTypes: false } },
    clientErrorHandler: clientErrorHandler(MAX_HEADER_BYTES),
    // The request gate runs before fastify sees the request: a refused one is never routed, parsed or validated.
    // (app.inject() bypasses it: it is in-process and has no network peer to distrust.)
    serverFactory: (handler) => {
      const gate = createRequestGate({
        ...(deps.allowedHosts ? { allowedHosts: deps.allowedHosts } : {}),
        ...(deps.apiToken !== undefined ? { apiToken: deps.apiToken } : {}),
        port: () => (server.address() as AddressInfo | null)?.port ?? 0,
      });
      const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (request, response) => {
        const refusal = gate(request);
        if (refusal) refuse(request, response, refusal, deps.logger);
        else handler(request, response);
      });
      return server;
    },
  });
  recordRoutes(app);
  installParameterMerge(app);
  installErrorHandling(app);
  metaRoutes(app, deps);
  skillRoutes(app, deps);
  pluginRoutes(app, deps);
  sessionRoutes(app, deps);
  terminalRoutes(app, deps);
  terminalScreenRoutes(app, deps);
  agentHookRoutes(app, deps);
  inboxRoutes(app, deps);
  eventRoutes(app, deps);
  flowRoutes(app, deps);
  runStepRoutes(app, deps);
  fleetRoutes(app, deps);
  dashboardRoutes(app);
  return app;
}

function refuse(request: IncomingMessage, response: ServerResponse, refusal: Refusal, logger: Logger): void {
  // A cross-site attempt means some page the user opened tried to drive their agents: worth a WARN.
  if (refusal.status === 403)
    logger.warn({ component: "http", method: request.method, origin: request.headers.origin }, refusal.detail);
  const body = JSON.stringify({ detail: refusal.detail });
  response.writeHead(refusal.status, {
    ...refusal.headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
