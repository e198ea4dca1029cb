import fs from "node:fs";
import type { Logger } from "pino";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { errorMessage } from "../util/errors.js";
import type { FleetSettings } from "./settings.js";

/** A part of the member that works while a connection is up: it starts on each new one and stops when it closes. */
export interface ConnectionUser {
  /** Called for each new connection; a rejection is logged and the others still start. */
  attach(nc: NatsConnection): Promise<void> | void;
  /** The connection closed (or the member is leaving). */
  detach(): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;
const LOST = "lost";
/** Credentials NATS refused will not fix themselves soon: try again far less often (each try is an error in its log). */
const MAX_AUTH_RETRY_MS = 30_000;

/** NATS client options from the fleet settings (shared by the member and the client API). */
export function natsOptions(settings: FleetSettings, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: settings.servers,
    name,
    timeout: 5_000,
    // A dead server is noticed within about 30 s even when no packet says so.
    pingInterval: 10_000,
    maxPingOut: 3,
  };
  if (settings.user !== undefined) Object.assign(options, { user: settings.user, pass: settings.password });
  if (settings.token !== undefined) options.token = settings.token;
  const creds = settings.creds;
  if (creds !== undefined) options.authenticator = credsAuthenticator(() => fs.readFileSync(creds));
  if (settings.tls || settings.servers.some((url) => url.startsWith("tls://"))) {
    const tls = settings.tls ?? {};
    options.tls = {
      ...(tls.ca !== undefined ? { caFile: tls.ca } : {}),
      ...(tls.cert !== undefined ? { certFile: tls.cert } : {}),
      ...(tls.key !== undefined ? { keyFile: tls.key } : {}),
    };
  }
  return options;
}

/**
 * The member's link to NATS, kept up in the background: the server never waits for it. Each connection is used until
 * it closes, then a new one is made (backing off to one try every 5 s), rather than letting the client library
 * reconnect under the same connection: a reconnecting client resends what it buffered while down, after messages the
 * old server never stored, which would break the order of a host's events in the stream.
 *
 * Failures are logged once per kind (one line for "refused the credentials", not one per retry), and again after a
 * connection that worked was lost.
 */
export class FleetConnection {
  private current: NatsConnection | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastFailure: string | undefined;
  private everConnected = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: FleetSettings,
    private readonly logger: Logger,
    private readonly users: readonly ConnectionUser[],
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** The connection in use, if one is up. */
  get connection(): NatsConnection | undefined {
    return this.current;
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const nc = this.current;
    for (const user of this.users) user.detach();
    if (nc) await nc.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    const where = this.settings.servers.join(", ");
    let retryMs = FIRST_RETRY_MS;
    while (!this.stopped) {
      let nc: NatsConnection;
      try {
        // No reconnecting inside the client: a lost connection ends, and this loop makes a new one (see above).
        nc = await connect({ ...natsOptions(this.settings, `cao ${this.settings.host}`), reconnect: false });
      } catch (error) {
        const auth = this.reportFailure(error, where);
        await this.sleep(retryMs);
        retryMs = Math.min(retryMs * 2, auth ? MAX_AUTH_RETRY_MS : MAX_RETRY_MS);
        continue;
      }
      if (this.stopped) {
        await nc.close().catch(() => undefined);
        break;
      }
      retryMs = FIRST_RETRY_MS;
      this.lastFailure = undefined;
      this.logger.info(
        `fleet: ${this.everConnected ? "connected again to" : "joined the fleet at"} NATS ${nc.getServer()} as host ${this.settings.host}`,
      );
      this.everConnected = true;
      this.current = nc;
      for (const user of this.users) {
        try {
          await user.attach(nc);
        } catch (error) {
          this.logger.warn(`fleet: ${errorMessage(error)}`);
        }
      }
      const closed = await nc.closed();
      this.current = undefined;
      for (const user of this.users) user.detach();
      if (this.stopped) break;
      this.lastFailure = LOST;
      this.logger.warn(
        `fleet: lost NATS at ${where}${closed ? ` (${errorMessage(closed)})` : ""}; this server works on and publishes what it missed once NATS answers again`,
      );
    }
  }

  /** Logs a failure unless it is the same as the last one; says whether NATS refused the credentials. */
  private reportFailure(error: unknown, where: string): boolean {
    const auth =
      (error as Error)?.name === "AuthorizationError" || /authori[sz]ation|authentication/i.test(errorMessage(error));
    const kind = auth ? "auth" : errorMessage(error);
    if (kind === this.lastFailure) return auth;
    // Right after "lost NATS" an unreachable server is no news.
    const justLost = this.lastFailure === LOST && !auth;
    this.lastFailure = kind;
    if (justLost) return auth;
    if (auth)
      this.logger.error(
        `fleet: NATS at ${where} refused this server's credentials (${errorMessage(error)}): check fleet.user/password, fleet.token or fleet.creds in config.yaml; this server serves locally and keeps trying`,
      );
    else
      this.logger.warn(
        `fleet: cannot reach NATS at ${where} (${oneLine(errorMessage(error))})${tlsHint(error)}; this server serves locally, keeps trying, and publishes its events once NATS answers`,
      );
    return auth;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** OpenSSL's messages span lines; a log line should not. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** A failed TLS handshake names OpenSSL's alert; say which settings decide it. */
function tlsHint(error: unknown): string {
  return /SSL|TLS|certificate/i.test(errorMessage(error))
    ? ": the TLS handshake failed; check fleet.tls (ca, cert, key) in config.yaml against the NATS server's certificate and whether it verifies clients"
    : "";
}
