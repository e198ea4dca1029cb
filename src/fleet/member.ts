import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { CaoDatabase } from "../clients/database.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { EventJournal } from "../services/event-journal.js";
import { errorMessage } from "../util/errors.js";
import { packagePath } from "../util/package-root.js";
import { CommandServer } from "./command-server.js";
import { FleetConnection } from "./connection.js";
import { EventPublisher } from "./event-publisher.js";
import { HostHeartbeat } from "./host-heartbeat.js";
import type { FleetSettings } from "./settings.js";

export interface FleetMemberDeps {
  settings: FleetSettings;
  app: FastifyInstance;
  journal: EventJournal;
  db: CaoDatabase;
  providers: ProviderRegistry;
  logger: Logger;
  /** The journal's seq when the server decided to join (where a first-time member starts publishing). */
  startSeq: number;
}

export interface FleetMember {
  readonly host: string;
  /** The seq of the last event the stream acknowledged. */
  published(): number;
  /** Leaves: the host's key is deleted, commands stop, the connection closes. Unpublished events wait for next time. */
  close(): Promise<void>;
}

/** Session events change the count in the host record: it is refreshed at once for them. */
const SESSION_EVENTS = new Set(["session_created", "session_killed"]);

/**
 * One server's membership in a fleet (docs/fleet.md): the connection to NATS, kept up in the background, and its three
 * users: the event publisher, the host record and the command server. Loaded only by servers that are in a fleet.
 * Nothing here is awaited by the server's own work: joining returns at once, whatever NATS does.
 */
export function joinFleet(deps: FleetMemberDeps): FleetMember {
  const { settings, logger } = deps;
  const host = settings.host;
  const log = logger.child({ component: "fleet" });
  const publisher = new EventPublisher({
    host,
    journal: deps.journal,
    db: deps.db,
    logger: log,
    startSeq: deps.startSeq,
  });
  const heartbeat = new HostHeartbeat({
    host,
    version: packageVersion(),
    startedAt: new Date(),
    describe: () => ({
      providers: deps.providers
        .describe()
        .filter((p) => p.installed)
        .map((p) => p.name),
      sessions: new Set(deps.db.allTerminals().map((t) => t.session_name)).size,
    }),
    logger: log,
  });
  const commands = new CommandServer({ host, app: deps.app, logger: log });
  const connection = new FleetConnection(settings, log, [commands, heartbeat, publisher]);
  const stopNudging = deps.journal.subscribe((row) => {
    if (SESSION_EVENTS.has(row.event_type)) heartbeat.nudge();
  });
  publisher.start();
  connection.start();
  let closing: Promise<void> | undefined;
  return {
    host,
    published: () => publisher.published,
    close() {
      closing ??= (async () => {
        stopNudging();
        await publisher.drain(1_500);
        publisher.stop();
        await heartbeat.leave();
        await connection.close();
      })().catch((error: unknown) => log.warn(`fleet: leaving the fleet: ${errorMessage(error)}`));
      return closing;
    },
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
