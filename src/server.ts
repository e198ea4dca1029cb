import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildApp } from "./api/app.js";
import { AgentStepRunner } from "./services/agent-step.js";
import { AgentHookService } from "./services/agent-hooks/agent-hook-service.js";
import { ToolAccessReader } from "./services/tool-restrictions/tool-access-file.js";
import { FailClosedMarker } from "./services/agent-hooks/hook-launch.js";
import { HookTokens } from "./services/agent-hooks/hook-tokens.js";
import { resolveExposure } from "./api/exposure.js";
import { listeningUrls, localClientHost } from "./api/network.js";
import { CaoDatabase } from "./clients/database.js";
import { guardDatabaseFile } from "./clients/database-file-guard.js";
import { DEFAULT_TMUX_TIMEOUT_MS, TmuxClient, type TmuxOptions } from "./clients/tmux.js";
import { defaultProviderFrom, flag, positiveInt, type Env } from "./util/env.js";
import { CaoPaths } from "./util/paths.js";
import { TerminalSignals } from "./services/terminals/signals.js";
import { type RegistryOptions } from "./plugins/host/options.js";
import { errorMessage } from "./util/errors.js";
import { PluginRegistry } from "./plugins/host/registry.js";
import { ProfileStore } from "./profiles/profiles.js";
import { skillCatalog } from "./skills/catalog.js";
import { seedBuiltinSkills } from "./skills/seed.js";
import { SkillStore } from "./skills/skills.js";
import { defaultProviders, ProviderRegistry } from "./providers/index.js";
import type { McpServerConfig, Provider } from "./providers/provider.js";
import { EventJournal, retentionFrom } from "./services/event-journal.js";
import { FlowScheduler } from "./services/flows/flow-scheduler.js";
import { FlowService } from "./services/flows/flow-service.js";
import type { FleetMember } from "./fleet/member.js";
import { fleetSettingsFrom } from "./fleet/settings.js";
import { InboxService, type InboxOptions } from "./services/inbox-service.js";
import { PaneActivity } from "./services/pane-activity.js";
import { DEFAULT_LIVENESS_MS, Reconciler } from "./services/reconciler.js";
import { SessionService } from "./services/session-service.js";
import { StatusMonitor, type StatusMonitorOptions } from "./services/status-monitor.js";
import { TerminalService } from "./services/terminal-service.js";
import { apiAddressFrom, assertPort } from "./util/api-address.js";
import { createLogger } from "./util/logger.js";
import { packagePath } from "./util/package-root.js";

export interface ServerOptions {
  env?: Record<string, string | undefined>;
  /** Where to listen; default CAO_API_HOST / CAO_API_PORT, else 127.0.0.1:9889. Port 0 picks a free one. */
  host?: string;
  port?: number;
  /**
   * Allow a non-loopback `host` (default CAO_ALLOW_REMOTE=1). It also needs `apiToken`; without both, createServer
   * throws ExposureRefusedError before anything is opened.
   */
  allowRemote?: boolean;
  /** Every request must carry `Authorization: Bearer <apiToken>` (default CAO_API_TOKEN; empty means none). */
  apiToken?: string;
  /** Hot reload of drop-in plugins (default true). */
  watch?: boolean;
  logger?: Logger;
  /** tmux socket, binary and deadline; default CAO_TMUX_SOCKET and CAO_TMUX_TIMEOUT_MS. */
  tmux?: TmuxOptions;
  /** How often terminals are checked against tmux (vanished windows, exited agents); default 2000 ms. */
  livenessMs?: number;
  providers?: Provider[];
  /** Passed through to the PluginRegistry (timeouts, queue limit, …). */
  plugins?: Omit<RegistryOptions, "env" | "logger" | "watch">;
  inbox?: InboxOptions;
  /** How terminal statuses are watched for terminal_status_changed (safety poll, per-terminal throttle). */
  status?: StatusMonitorOptions;
  /** The SSE stream: how often a keep-alive comment is sent on an idle connection (default 15 s). */
  events?: { keepAliveMs?: number };
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
  journal: EventJournal;
  caoHome: string;
  /** Loads and sets up plugins, then (fastify's onReady) reconciles and resumes the inbox, then listens. Resolves to the base URL. */
  listen(): Promise<string>;
  /** After listen: every URL the server answers at (one per interface address for a wildcard bind). */
  urls(): string[];
  /** Stops accepting requests, drains and tears down plugins, stops the inbox, closes the database. */
  close(): Promise<void>;
}

/** How long an agent CLI waits for CAO to answer one hook call (an interceptor chain with its deadlines fits). */
const AGENT_HOOK_TIMEOUT_SECONDS = 30;

/** How long a shutdown gives the fleet to publish its last events and delete its host key. */
const FLEET_LEAVE_TIMEOUT_MS = 5_000;

/**
 * Wires one isolated CAO server: no module-level state, so tests build as many as they like side by side.
 * Plugins load before fastify starts (so before the first request can be served), then onReady reconciles and starts
 * the inbox; onClose drains and tears plugins down.
 */
export function createServer(options: ServerOptions = {}): CaoServer {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ env });
  const paths = new CaoPaths(env);
  const caoHome = paths.home;
  const fromEnv = apiAddressFrom(env);
  const host = options.host ?? fromEnv.host;
  const port = options.port ?? fromEnv.port;
  assertPort(port, `port ${port}`);
  let listeningPort = port;
  const exposure = resolveExposure({
    host,
    allowRemote: options.allowRemote ?? flag(env, "CAO_ALLOW_REMOTE"),
    apiToken: options.apiToken ?? env.CAO_API_TOKEN,
  });

  const db = new CaoDatabase(paths.database);
  // CAO_TMUX_SOCKET isolates a server on a private tmux server (tests, or several CAO instances on one machine).
  const tmux = new TmuxClient({
    ...(env.CAO_TMUX_SOCKET ? { socketName: env.CAO_TMUX_SOCKET } : {}),
    timeoutMs: tmuxTimeoutFrom(env, logger),
    ...options.tmux,
  });
  const providers = new ProviderRegistry(options.providers ?? defaultProviders(), env);
  const defaultProvider = defaultProviderFrom(env);
  if (!providers.has(defaultProvider))
    logger.warn(
      `CAO_DEFAULT_PROVIDER ${JSON.stringify(defaultProvider)} is not a known provider (${providers.names().join(", ")}): launches that name no provider, with a profile that names none, are refused`,
    );
  const skills = new SkillStore(caoHome, env);
  // Built-in skills are copied in at start-up, never over a skill of the same name (docs/skills.md).
  try {
    const seeded = seedBuiltinSkills(skills.storeDir);
    if (seeded.length) logger.info(`seeded built-in skills into ${skills.storeDir}: ${seeded.join(", ")}`);
  } catch (error) {
    logger.warn(`cannot seed the built-in skills into ${skills.storeDir}: ${errorMessage(error)}`);
  }
  // Every launched agent's system prompt ends with the catalog of installed skills (docs/skills.md).
  const profiles = new ProfileStore(caoHome, {
    env,
    launchPrompt: (profile) => {
      const patterns = profile.extra?.skills as string[] | undefined;
      return skillCatalog(
        skills.list((problem) => logger.warn(problem)),
        patterns ?? undefined,
      );
    },
  });
  const registry = new PluginRegistry({ ...options.plugins, env, logger, watch: options.watch ?? true });
  // Every event passes through the journal (seq, SQLite, live stream) on its way to the plugins, those of the
  // registry itself (plugin_loaded, …) included.
  const journal = new EventJournal({ db, downstream: registry, logger }, retentionFrom(env, logger));
  registry.announceTo(journal);
  // The fleet (docs/fleet.md) is loaded only by a server that is in one; others pay a file read and a regex.
  const fleetRead = fleetSettingsFrom(env, paths.config);
  if (fleetRead && "error" in fleetRead)
    logger.error(`fleet: ${fleetRead.error}; this server does not join the fleet and serves locally`);
  const fleetSettings = fleetRead && "settings" in fleetRead ? fleetRead.settings : undefined;
  // A first-time member publishes from here on: the events of start-up (plugins loading) included.
  const fleetStartSeq = journal.seq;
  let fleet: Promise<FleetMember | undefined> | undefined;
  // Agents' own hooks (docs/agent-hooks.md): on unless CAO_DISABLE_AGENT_HOOKS=1.
  const hooksOn = !flag(env, "CAO_DISABLE_AGENT_HOOKS");
  const hookTokens = HookTokens.open(paths.hookKey, (error) =>
    logger.warn(
      `cannot keep the agent-hook key in ${paths.hookKey} (${errorMessage(error)}): agents started now lose their hooks when the server restarts`,
    ),
  );
  const failClosedMarker = new FailClosedMarker(paths.hooksFailClosed, registry, (error) =>
    logger.warn(`cannot update ${paths.hooksFailClosed}: ${errorMessage(error)}`),
  );
  const terminals = new TerminalService({
    tmux,
    db,
    providers,
    profiles,
    sink: journal,
    gate: registry,
    paths,
    signals: new TerminalSignals(logger),
    logger,
    defaultProvider,
    mcpServer: options.mcpServer ?? { command: process.execPath, args: [packagePath("dist", "mcp", "main.js")] },
    // Agents run on this machine: for a wildcard bind they reach the API over loopback.
    apiHost: localClientHost(host),
    // Read at each launch: the real port (port 0 picks one, as the tests do) is known once the server listens.
    apiPort: () => listeningPort,
    ...(exposure.apiToken !== undefined ? { apiToken: exposure.apiToken } : {}),
    ...(hooksOn
      ? {
          hooks: {
            tokens: hookTokens,
            command: packagePath("bin", "cao-hook"),
            marker: paths.hooksFailClosed,
            failClosed: () => failClosedMarker.failClosed(),
            timeoutSeconds: AGENT_HOOK_TIMEOUT_SECONDS,
          },
        }
      : {}),
  });
  const reconciler = new Reconciler({ tmux, db, terminals, sink: journal, logger });
  const sessions = new SessionService({ tmux, db, terminals, sink: journal, reconciler, gate: registry });
  const activity = new PaneActivity(paths.terminalLogs, logger);
  const inbox = new InboxService({ db, terminals, logger, sink: journal, activity, gate: registry }, options.inbox);
  const statusMonitor = new StatusMonitor({ db, terminals, sink: journal, logger, activity }, options.status);
  const agentHooks = new AgentHookService({
    db,
    providers,
    tokens: hookTokens,
    gate: registry,
    sink: journal,
    logger,
    toolAccess: new ToolAccessReader((id) => paths.runtime(id)),
    reportStatus: (terminalId, status) => {
      statusMonitor.report(terminalId, status);
      if (status === "completed") inbox.turnEnded(terminalId);
    },
  });

  // Scheduled flows (docs/flows.md): the scheduler starts once the server is ready and stops first on close.
  const flows: FlowService = new FlowService({
    db,
    sessions,
    terminals,
    providers,
    profiles,
    sink: journal,
    logger,
    flowsDir: paths.flows,
    env,
    onChange: () => flowScheduler.reschedule(),
  });
  const flowScheduler = new FlowScheduler({ flows, logger });

  let stopGuardingDatabase: (() => void) | undefined;
  const app = buildApp({
    logger,
    sessions,
    terminals,
    inbox,
    providers,
    profiles,
    skills,
    registry,
    journal,
    agentHooks,
    flows,
    agentSteps: new AgentStepRunner({ sessions, terminals, journal }),
    activity,
    ...(fleetSettings ? { fleet: fleetSettings } : {}),
    ...(options.events?.keepAliveMs !== undefined ? { keepAliveMs: options.events.keepAliveMs } : {}),
    allowedHosts: exposure.allowedHosts,
    ...(exposure.apiToken !== undefined ? { apiToken: exposure.apiToken } : {}),
  });
  const urls = () => {
    const address = app.server.address();
    return address && typeof address === "object" ? listeningUrls(address) : [];
  };

  // Loading is not done inside onReady, whose hooks fastify cuts off after its plugin timeout (10 s) with a fatal
  // error: the registry bounds each plugin itself (CAO_PLUGIN_SETUP_TIMEOUT_MS), and however many plugins there are,
  // their loading must end in a listening server. listen() loads first; onReady only makes sure it happened (for
  // callers of app.ready() alone).
  let loading: Promise<void> | undefined;
  const loadPlugins = (): Promise<void> => (loading ??= registry.load());
  app.addHook("onReady", async () => {
    await loadPlugins();
    // tmux missing or hung must not stop the server from starting: its requests answer 503 meanwhile, and the
    // liveness check reconciles once tmux answers.
    await reconciler
      .reconcile("start-up")
      .catch((error: unknown) =>
        logger.warn(`cannot reconcile terminals with tmux at start-up: ${errorMessage(error)}`),
      );
    stopGuardingDatabase = guardDatabaseFile(db, logger);
    activity.start();
    await inbox.start();
    statusMonitor.start();
    if (hooksOn) failClosedMarker.start();
    reconciler.start(options.livenessMs ?? DEFAULT_LIVENESS_MS);
    flowScheduler.start();
  });
  app.addHook("onClose", async () => {
    await flowScheduler.stop();
    stopGuardingDatabase?.();
    failClosedMarker.stop();
    await reconciler.stop();
    await statusMonitor.stop();
    await inbox.stop();
    activity.stop();
    tmux.close();
    await registry.teardown();
    journal.close();
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
    journal,
    caoHome,
    async listen() {
      await loadPlugins();
      await app.listen({ host, port });
      const actual = app.server.address();
      if (actual && typeof actual === "object") listeningPort = actual.port;
      if (fleetSettings) {
        const settings = fleetSettings;
        // Not awaited: joining never delays or fails the server.
        fleet ??= import("./fleet/member.js")
          .then(({ joinFleet }) =>
            joinFleet({ settings, app, journal, db, providers, logger, startSeq: fleetStartSeq }),
          )
          .catch((error: unknown) => {
            logger.error(`fleet: cannot load the fleet support: ${errorMessage(error)}; this server serves locally`);
            return undefined;
          });
      }
      if (exposure.remote) {
        logger.warn(
          `the API is reachable from the network at ${urls().join(", ")}: every request must carry Authorization: Bearer <CAO_API_TOKEN>; the traffic is plain HTTP, not encrypted`,
        );
      }
      return urls()[0]!;
    },
    urls,
    close() {
      closing ??= leaveFleet(fleet, logger).then(() => app.close().then(() => undefined));
      return closing;
    },
  };
}

/** Leaves the fleet first (its host key goes, its last events are published), within a few seconds at most. */
async function leaveFleet(fleet: Promise<FleetMember | undefined> | undefined, logger: Logger): Promise<void> {
  if (!fleet) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLEET_LEAVE_TIMEOUT_MS)));
  const left = fleet.then((member) => member?.close());
  await Promise.race([left, deadline]).catch((error: unknown) =>
    logger.warn(`fleet: leaving the fleet: ${errorMessage(error)}`),
  );
  clearTimeout(timer);
}

/** CAO_TMUX_TIMEOUT_MS; a bad value is a WARN and the default, as for the plugin limits. */
function tmuxTimeoutFrom(env: Env, logger: Logger): number {
  return positiveInt(env, "CAO_TMUX_TIMEOUT_MS", DEFAULT_TMUX_TIMEOUT_MS, logger, "milliseconds");
}
