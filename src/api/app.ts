import http from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { PluginRegistry } from "../plugins/registry.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { InboxService } from "../services/inbox-service.js";
import type { SessionService } from "../services/session-service.js";
import type { TerminalService } from "../services/terminal-service.js";
import { installErrorHandling } from "./errors.js";
import { installHostCheck } from "./host-check.js";
import { installParameterMerge } from "./params.js";
import { inboxRoutes } from "./routes/inbox.js";
import { metaRoutes } from "./routes/meta.js";
import { sessionRoutes } from "./routes/sessions.js";
import { terminalRoutes } from "./routes/terminals.js";

export interface AppDeps {
  logger: Logger;
  sessions: SessionService;
  terminals: TerminalService;
  inbox: InboxService;
  providers: ProviderRegistry;
  registry: PluginRegistry;
  /** Host names accepted besides the loopback ones (e.g. when bound to a LAN address on purpose). */
  allowedHosts?: string[];
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
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  });
  installHostCheck(app, deps.allowedHosts);
  installParameterMerge(app);
  installErrorHandling(app);
  metaRoutes(app, deps);
  sessionRoutes(app, deps);
  terminalRoutes(app, deps);
  inboxRoutes(app, deps);
  return app;
}
