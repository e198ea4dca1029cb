import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { EVENT_TYPES, isEventType } from "../../plugins/api/events.js";
import type { EventJournal } from "../../services/event-journal.js";
import { ValidationError } from "../../util/validate.js";
import { DEFAULT_STREAM_LIMITS, SseSubscription } from "../sse-subscription.js";

interface EventsQuery {
  since?: string;
  types?: string;
  limit?: string;
}

const SEQ = /^[0-9]{1,15}$/;

/** docs/contract.md#events: the journal as JSON (`GET /events/history`) and as a live Server-Sent Events stream (`GET /events`). */
export function eventRoutes(
  app: FastifyInstance,
  deps: { journal: EventJournal; logger: Logger; keepAliveMs?: number },
): void {
  const { journal } = deps;
  const limits = {
    ...DEFAULT_STREAM_LIMITS,
    ...(deps.keepAliveMs !== undefined ? { keepAliveMs: deps.keepAliveMs } : {}),
  };
  const clients = new Set<SseSubscription>();
  // Open streams would otherwise hold server.close() until their clients hang up.
  app.addHook("preClose", async () => {
    for (const client of [...clients]) client.end();
  });

  app.get<{ Querystring: EventsQuery }>("/events/history", async (request, reply) => {
    const since = parseSeq(request.query.since, "since");
    const types = parseTypes(request.query.types);
    const limit = parseLimit(request.query.limit);
    const rows = since === undefined ? journal.newest(limit, types) : journal.after(since, limit, types);
    // The rows hold each event's JSON already: the array is assembled, not re-serialised.
    return reply.type("application/json; charset=utf-8").send(`[${rows.map((row) => row.data).join(",")}]`);
  });

  app.get<{ Querystring: EventsQuery }>("/events", async (request, reply) => {
    const header = request.headers["last-event-id"];
    const since =
      header !== undefined
        ? parseSeq(Array.isArray(header) ? header[0] : header, "Last-Event-ID")
        : parseSeq(request.query.since, "since");
    const types = parseTypes(request.query.types);
    if (request.query.limit !== undefined)
      throw new ValidationError("limit applies to /events/history, not to the stream");
    reply.hijack();
    const client: SseSubscription = new SseSubscription(reply.raw, journal, {
      since,
      types,
      limits,
      logger: deps.logger,
      onClose: () => clients.delete(client),
    });
    clients.add(client);
  });
}

function parseSeq(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!SEQ.test(value.trim()))
    throw new ValidationError(`${name} must be an event seq (a non-negative integer), got ${JSON.stringify(value)}`);
  return Number(value.trim());
}

function parseTypes(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const types = [
    ...new Set(
      value
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
    ),
  ];
  if (types.length === 0) throw new ValidationError("types must name at least one event type");
  const unknown = types.filter((t) => !isEventType(t));
  if (unknown.length > 0)
    throw new ValidationError(`unknown event types ${unknown.join(", ")} (known: ${EVENT_TYPES.join(", ")})`);
  return types;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 100;
  const limit = Number(value);
  if (!/^[0-9]{1,4}$/.test(value) || limit < 1 || limit > 1000)
    throw new ValidationError(`limit must be an integer from 1 to 1000, got ${JSON.stringify(value)}`);
  return limit;
}
