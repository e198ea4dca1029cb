import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildApp } from "./api/app.js";
import { CaoDatabase } from "./clients/database.js";
import { TmuxClient, type TmuxOptions } from "./clients/tmux.js";
import { caoHomeFrom, type RegistryOptions } from "./plugins/options.js";
import { PluginRegistry } from "./plugins/registry.js";
import { ProfileStore } from "./profiles/profiles.js";
import { defaultProviders, ProviderRegistry } from "./providers/index.js";
import type { McpServerConfig, Provider } from "./providers/provider.js";
import { InboxService, type InboxOptions } from "./services/inbox-service.js";
import { SessionService } from "./services/session-service.js";
import { TerminalService } from "./services/terminal-service.js";
import { createLogger } from "./util/logger.js";
import { PACKAGE_ROOT } from "./util/package-root.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 9889;

export interface ServerOptions {
  env?: Record<string, string | undefined>;
  /** Where to listen; default CAO_API_HOST / CAO_API_PORT, else 127.0.0.1:9889. Port 0 picks a free one. */
  host?: string;
  port?: number;
  /** Hot reload of drop-in plugins (default true). */
  watch?: boolean;
  logger?: Logger;
  tmux?: TmuxOptions;
  providers?: Provider[];
  /** Passed through to the PluginRegistry (timeouts, queue limit, …). */
  plugins?: Omit<RegistryOptions, "env" | "logger" | "watch">;
  inbox?: InboxOptions;
  /** How agent CLIs start cao-mcp-server (default: this Node running dist/mcp/main.js). */
  mcpServer?: McpServerConfig;
}

export interface CaoServer {
  app: FastifyInstance;
  logger: Logger;
  registry: PluginRegistry;
  db: CaoDatabase;
  tmux: TmuxClient;
  sessions: SessionService;
  terminals: TerminalService;
  inbox: InboxService;
  caoHome: string;
  /** Loads and sets up plugins, then (fastify's onReady) reconciles and resumes the inbox, then listens. Resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, drains and tears down plugins, stops the inbox, closes the database. */
  close(): Promise<void>;
}

/**
 * Wires one isolated CAO server: no module-level state, so tests build as many as they like side by side.
 * Plugins load before fastify starts (so before the first request can be served), then onReady reconciles and starts
 * the inbox; onClose drains and tears plugins down.
 */
export function createServer(options: ServerOptions = {}): CaoServer {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ env });
  const caoHome = caoHomeFrom(env);
  const host = options.host ?? (env.CAO_API_HOST || DEFAULT_HOST);
  const port = options.port ?? (env.CAO_API_PORT ? Number(env.CAO_API_PORT) : DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${JSON.stringify(env.CAO_API_PORT ?? port)}`);

  const db = new CaoDatabase(path.join(caoHome, "db", "cao.db"));
  // CAO_TMUX_SOCKET isolates a server on a private tmux server (tests, or several CAO instances on one machine).
  const tmux = new TmuxClient(options.tmux ?? (env.CAO_TMUX_SOCKET ? { socketName: env.CAO_TMUX_SOCKET } : {}));
  const providers = new ProviderRegistry(options.providers ?? defaultProviders());
  const profiles = new ProfileStore(caoHome);
  const registry = new PluginRegistry({ ...options.plugins, env, logger, watch: options.watch ?? true });
  const terminals = new TerminalService({
    tmux,
    db,
    providers,
    profiles,
    sink: registry,
    caoHome,
    logger,
    mcpServer: options.mcpServer ?? { command: process.execPath, args: [path.join(PACKAGE_ROOT, "dist", "mcp", "main.js")] },
    apiHost: host,
    apiPort: port,
  });
  const sessions = new SessionService({ tmux, db, terminals, sink: registry });
  const inbox = new InboxService({ db, terminals, logger }, options.inbox);
  const app = buildApp({ logger, sessions, terminals, inbox, providers, registry });

  // Loading is not done inside onReady, whose hooks fastify cuts off after its plugin timeout (10 s) with a fatal
  // error: the registry bounds each plugin itself (CAO_PLUGIN_SETUP_TIMEOUT_MS), and however many plugins there are,
  // their loading must end in a listening server. listen() loads first; onReady only makes sure it happened (for
  // callers of app.ready() alone).
  let loading: Promise<void> | undefined;
  const loadPlugins = (): Promise<void> => (loading ??= registry.load());
  app.addHook("onReady", async () => {
    await loadPlugins();
    const forgotten = await sessions.reconcile();
    if (forgotten > 0) logger.warn(`forgot ${forgotten} terminal(s) whose tmux windows were gone at start-up`);
    inbox.start();
  });
  app.addHook("onClose", async () => {
    await inbox.stop();
    await registry.teardown();
    db.close();
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    logger,
    registry,
    db,
    tmux,
    sessions,
    terminals,
    inbox,
    caoHome,
    async listen() {
      await loadPlugins();
      const address = await app.listen({ host, port });
      // Terminals learn the real port (port 0 in tests) for their MCP server configuration.
      const actual = app.server.address();
      if (actual && typeof actual === "object") (terminals as unknown as { deps: { apiPort: number } }).deps.apiPort = actual.port;
      return address;
    },
    close() {
      closing ??= app.close().then(() => undefined);
      return closing;
    },
  };
}
