import type { Logger } from "pino";
import type { FleetClient } from "../fleet/client.js";
import type { FleetSettings } from "../fleet/settings.js";
import { errorMessage } from "../util/errors.js";

/** An answer of the fleet routes that is not a success: the status and `detail` the route sends. */
export class FleetRouteError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The fleet as this server's routes see it (docs/fleet.md#the-dashboards-fleet-view): one FleetClient, the one
 * `cao fleet` uses, connected at the first request that needs it and kept. The NATS client is imported then, not at
 * start: a server in no fleet never loads it, and one in a fleet loads it only when someone looks.
 */
export class FleetAccess {
  private client: Promise<FleetClient> | undefined;

  constructor(
    private readonly settings: FleetSettings | undefined,
    private readonly logger: Logger,
  ) {}

  /** This server's host name; 404 when it is in no fleet. */
  get host(): string {
    return this.require().host;
  }

  /** Runs `use` with the client; the fleet's own failures become the route's answer (503 unreachable, a host's status). */
  async with<T>(use: (client: FleetClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const { FleetCommandError } = await import("../fleet/client.js");
    try {
      return await use(client);
    } catch (error) {
      if (error instanceof FleetCommandError) throw new FleetRouteError(error.status, error.detail);
      if (error instanceof FleetRouteError) throw error;
      throw new FleetRouteError(503, `the fleet's NATS did not answer: ${errorMessage(error)}`);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.close()).catch(() => undefined);
  }

  private require(): FleetSettings {
    if (!this.settings)
      throw new FleetRouteError(
        404,
        "this server is not in a fleet: set fleet.nats in config.yaml or CAO_FLEET_NATS_URL (docs/fleet.md)",
      );
    return this.settings;
  }

  private connect(): Promise<FleetClient> {
    const settings = this.require();
    this.client ??= import("../fleet/client.js")
      .then(({ FleetClient }) => FleetClient.connect(settings, `cao server ${settings.host} (dashboard)`))
      .catch((error: unknown) => {
        // A later request tries again: NATS may be back by then.
        this.client = undefined;
        this.logger.warn(`fleet: the dashboard's fleet view cannot reach NATS: ${errorMessage(error)}`);
        throw new FleetRouteError(503, errorMessage(error));
      });
    return this.client;
  }
}
