/**
 * The fleet seen from outside a member (docs/fleet.md#the-client-api): list the hosts, run a command on one, follow
 * every host's events. For `cao fleet …` and the dashboard; it needs only NATS, no local server.
 */
import { connect, RequestError, TimeoutError, type NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, type ConsumerMessages } from "@nats-io/jetstream";
import {
  FLEET_EVENTS_STREAM,
  fleetCommandSubject,
  fleetEventSubject,
  type FleetCloudEvent,
  type FleetCommandOp,
  type FleetCommandReplies,
  type FleetCommandRequests,
  type FleetHost,
} from "../contract/fleet.js";
import { errorMessage } from "../util/errors.js";
import { natsOptions } from "./connection.js";
import { openHostsBucket } from "./host-heartbeat.js";
import type { FleetSettings } from "./settings.js";

/** How to reach the fleet: the member's settings; `host` is not needed. */
export type FleetClientSettings = Omit<FleetSettings, "host"> & { host?: string };

/** NATS cannot be reached, or refused the credentials. */
export class FleetUnreachableError extends Error {}

/** A command that failed: the status its REST route would have answered (404 also for an unknown host, 504 no answer). */
export class FleetCommandError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** One event of the stream: where it sits in CAO_EVENTS and the CloudEvent itself. */
export interface FleetEvent {
  streamSeq: number;
  subject: string;
  event: FleetCloudEvent;
}

export interface FollowOptions {
  /** Only this host's events. */
  host?: string;
  /** Only these event types (`session_created`, …). */
  types?: string[];
  /** `new` (default): from now on; `all`: from the start of the stream; a number: after that stream seq. */
  from?: "new" | "all" | number;
}

/** A live view of the stream: iterate it, `close()` it. */
export interface FleetEventFeed extends AsyncIterable<FleetEvent> {
  close(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export class FleetClient {
  private constructor(private readonly nc: NatsConnection) {}

  /**
   * Connects with a single try (a client says at once when the fleet is unreachable); once connected it reconnects
   * for as long as it lives, and a feed resumes where it was.
   */
  static async connect(settings: FleetClientSettings, name = "cao fleet client"): Promise<FleetClient> {
    const where = settings.servers.join(", ");
    try {
      return new FleetClient(
        await connect({
          ...natsOptions({ ...settings, host: settings.host ?? "client" }, name),
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
        }),
      );
    } catch (error) {
      const auth = (error as Error)?.name === "AuthorizationError";
      throw new FleetUnreachableError(
        auth
          ? `NATS at ${where} refused the credentials (${errorMessage(error)})`
          : `cannot reach the fleet's NATS at ${where}: ${errorMessage(error)}`,
      );
    }
  }

  /** The live hosts (keys of CAO_HOSTS not yet expired), sorted by name. */
  async hosts(): Promise<FleetHost[]> {
    const kv = await openHostsBucket(this.nc);
    // A set: a key refreshed while the keys are listed can be listed twice.
    const names = new Set<string>();
    for await (const key of await kv.keys()) names.add(key);
    const hosts: FleetHost[] = [];
    for (const name of names) {
      const entry = await kv.get(name);
      if (!entry || entry.operation !== "PUT") continue;
      try {
        hosts.push(entry.json<FleetHost>());
      } catch {
        // not a host record: skip it
      }
    }
    return hosts.sort((a, b) => a.host.localeCompare(b.host));
  }

  /**
   * Runs `op` on `host` and resolves with what the REST route answered; a failure throws FleetCommandError with the
   * route's status and detail.
   */
  async request<Op extends FleetCommandOp>(
    host: string,
    op: Op,
    request: FleetCommandRequests[Op],
    options: { timeoutMs?: number } = {},
  ): Promise<FleetCommandReplies[Op]> {
    const timeout = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    let text: string;
    try {
      const reply = await this.nc.request(fleetCommandSubject(host, op), JSON.stringify(request), { timeout });
      text = reply.string();
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        const known = await this.hosts().then(
          (hosts) => hosts.map((h) => h.host).join(", ") || "none",
          () => "unknown",
        );
        throw new FleetCommandError(404, `no host ${JSON.stringify(host)} in the fleet answers (live hosts: ${known})`);
      }
      if (error instanceof TimeoutError || (error as Error)?.name === "TimeoutError")
        throw new FleetCommandError(504, `host ${host} did not answer ${op} within ${timeout} ms`);
      throw error;
    }
    const answer = JSON.parse(text) as unknown;
    if (isErrorReply(answer)) throw new FleetCommandError(answer.error.status, answer.error.detail);
    return answer as FleetCommandReplies[Op];
  }

  /** Follows CAO_EVENTS: every host's events as CloudEvents, in stream order (so each host's in seq order). */
  async events(options: FollowOptions = {}): Promise<FleetEventFeed> {
    const js = jetstream(this.nc);
    const types = options.types && options.types.length > 0 ? new Set(options.types) : undefined;
    // One filter subject (servers before 2.10 take no more); several types are filtered here.
    const filter = fleetEventSubject(options.host ?? "*", types?.size === 1 ? [...types][0]! : ">");
    const from = options.from ?? "new";
    const consumer = await js.consumers.get(FLEET_EVENTS_STREAM, {
      filter_subjects: filter,
      ...(from === "new"
        ? { deliver_policy: DeliverPolicy.New }
        : from === "all"
          ? { deliver_policy: DeliverPolicy.All }
          : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 }),
    });
    const messages: ConsumerMessages = await consumer.consume();
    async function* feed(): AsyncGenerator<FleetEvent> {
      for await (const msg of messages) {
        let event: FleetCloudEvent;
        try {
          event = msg.json<FleetCloudEvent>();
        } catch {
          continue; // not JSON: not ours
        }
        if (types && !types.has(event.data?.event_type)) continue;
        yield { streamSeq: msg.seq, subject: msg.subject, event };
      }
    }
    const iterator = feed();
    return {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        // stop() ends the messages' iterator; close() alone would wait for a reader suspended in this generator.
        messages.stop();
        await iterator.return(undefined).catch(() => undefined);
      },
    };
  }

  /**
   * The newest `limit` events (default 100) matching `host` and `types`, oldest first: the stream read once from its
   * start up to the message that was last when the read began.
   */
  async recentEvents(options: Omit<FollowOptions, "from"> & { limit?: number } = {}): Promise<FleetEvent[]> {
    const limit = options.limit ?? 100;
    const js = jetstream(this.nc);
    const types = options.types && options.types.length > 0 ? new Set(options.types) : undefined;
    const filter = fleetEventSubject(options.host ?? "*", types?.size === 1 ? [...types][0]! : ">");
    let consumer;
    try {
      consumer = await js.consumers.get(FLEET_EVENTS_STREAM, {
        filter_subjects: filter,
        deliver_policy: DeliverPolicy.All,
      });
    } catch (error) {
      if ((error as Error)?.name === "StreamNotFoundError" || /stream not found/i.test(errorMessage(error))) return [];
      throw error;
    }
    const recent: FleetEvent[] = [];
    if ((await consumer.info()).num_pending === 0) return recent;
    const messages = await consumer.consume();
    try {
      for await (const msg of messages) {
        try {
          const event = msg.json<FleetCloudEvent>();
          if (!types || types.has(event.data?.event_type)) {
            recent.push({ streamSeq: msg.seq, subject: msg.subject, event });
            if (recent.length > limit) recent.shift();
          }
        } catch {
          // not JSON: not ours
        }
        if (msg.info.pending === 0) break;
      }
    } finally {
      messages.stop();
    }
    return recent;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

function isErrorReply(value: unknown): value is { error: { status: number; detail: string } } {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number";
}
