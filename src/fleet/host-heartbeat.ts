import type { Logger } from "pino";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { FLEET_HEARTBEAT_MS, FLEET_HOST_TTL_MS, FLEET_HOSTS_BUCKET, type FleetHost } from "../contract/fleet.js";
import { errorMessage } from "../util/errors.js";
import type { ConnectionUser } from "./connection.js";

export interface HostHeartbeatDeps {
  host: string;
  version: string;
  startedAt: Date;
  /** Installed providers and the session count, read at each refresh (cheap: no tmux call). */
  describe(): { providers: string[]; sessions: number };
  logger: Logger;
}

/** Opens (or creates) the CAO_HOSTS bucket: one key per host, expiring 15 s after its last write. */
export function openHostsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(FLEET_HOSTS_BUCKET, { ttl: FLEET_HOST_TTL_MS, history: 1 });
}

/**
 * Keeps this host's key in CAO_HOSTS fresh (docs/fleet.md#hosts): written on connect, every 4 s, and soon after the
 * session count changes; deleted on a clean shutdown. A host that dies stops refreshing and its key expires with
 * the bucket's max age (15 s). A slow NATS never piles writes up: the next one waits for the last.
 */
export class HostHeartbeat implements ConnectionUser {
  private kv: KV | undefined;
  private timer: NodeJS.Timeout | undefined;
  private epoch = 0;
  private writing = false;
  private failing = false;

  constructor(private readonly deps: HostHeartbeatDeps) {}

  async attach(nc: NatsConnection): Promise<void> {
    const epoch = ++this.epoch;
    const kv = await openHostsBucket(nc);
    if (epoch !== this.epoch) return;
    this.kv = kv;
    await this.refresh();
  }

  detach(): void {
    this.epoch++;
    this.kv = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes the record soon (a session came or went). */
  nudge(): void {
    if (!this.kv || this.writing) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 100);
    this.timer.unref();
  }

  /** Removes this host's key (clean shutdown), within `timeoutMs`. */
  async leave(timeoutMs = 2_000): Promise<void> {
    const kv = this.kv;
    this.detach();
    if (!kv) return;
    await Promise.race([
      kv.delete(this.deps.host).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  private async refresh(): Promise<void> {
    const kv = this.kv;
    const epoch = this.epoch;
    if (!kv) return;
    clearTimeout(this.timer);
    this.writing = true;
    try {
      await kv.put(this.deps.host, JSON.stringify(this.record()));
      if (this.failing) this.deps.logger.info("fleet: host record refreshed again");
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.deps.logger.warn(
          `fleet: cannot refresh this host's record in ${FLEET_HOSTS_BUCKET}: ${errorMessage(error)}`,
        );
      this.failing = true;
    } finally {
      this.writing = false;
    }
    if (epoch !== this.epoch) return;
    this.timer = setTimeout(() => void this.refresh(), FLEET_HEARTBEAT_MS);
    this.timer.unref();
  }

  private record(): FleetHost {
    const { host, version, startedAt } = this.deps;
    let described = { providers: [] as string[], sessions: 0 };
    try {
      described = this.deps.describe();
    } catch (error) {
      this.deps.logger.debug(`fleet: cannot describe this host: ${errorMessage(error)}`);
    }
    return {
      host,
      version,
      providers: described.providers,
      sessions: described.sessions,
      started_at: startedAt.toISOString(),
      last_seen: new Date().toISOString(),
    };
  }
}
