import type { FastifyInstance } from "fastify";
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { FLEET_HOST_PATTERN, type FleetCommandRequests, type FleetHostSessions } from "../../contract/fleet.js";
import type { FleetEventFeed } from "../../fleet/client.js";
import type { FleetSettings } from "../../fleet/settings.js";
import { errorMessage } from "../../util/errors.js";
import { ValidationError } from "../../util/validate.js";
import { FleetAccess } from "../fleet-access.js";
import { profileName, providerName, sessionName, workingDirectory } from "../schemas.js";

const SEQ = /^[0-9]{1,15}$/;
const RECENT_EVENTS = 200;

/**
 * The fleet for the dashboard (docs/contract.md#fleet): hosts, every host's sessions with their terminals, one
 * live event stream across hosts, and a launch on a chosen host. Answered through NATS with the client `cao fleet`
 * uses; on a server in no fleet every route is 404 with a detail that says so (the page then hides its fleet view).
 */
export function fleetRoutes(
  app: FastifyInstance,
  deps: { fleet?: FleetSettings; logger: Logger; keepAliveMs?: number },
): void {
  const fleet = new FleetAccess(deps.fleet, deps.logger);
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const res of [...streams]) res.end();
  });
  app.addHook("onClose", async () => fleet.close());

  app.get("/fleet", async () => ({ host: fleet.host }));

  app.get("/fleet/hosts", async () => fleet.with((client) => client.hosts()));

  app.get<{ Querystring: { host?: string } }>("/fleet/sessions", async (request) => {
    const only = request.query.host;
    if (only !== undefined) hostName(only);
    return fleet.with(async (client) => {
      const names = only !== undefined ? [only] : (await client.hosts()).map((h) => h.host);
      return Promise.all(
        names.map(async (host): Promise<FleetHostSessions> => {
          try {
            const list = await client.request(host, "list_sessions", {}, { timeoutMs: 10_000 });
            const sessions = await Promise.all(
              list.map((s) => client.request(host, "get_session", { session_name: s.name }, { timeoutMs: 10_000 })),
            );
            return { host, sessions };
          } catch (error) {
            const status = (error as { status?: number }).status ?? 503;
            return { host, sessions: [], error: { status, detail: errorMessage(error) } };
          }
        }),
      );
    });
  });

  app.post<{ Params: { host: string }; Body: FleetCommandRequests["create_session"] }>(
    "/fleet/hosts/:host/sessions",
    {
      schema: {
        body: {
          type: "object",
          required: ["provider", "agent_profile"],
          properties: {
            provider: providerName,
            agent_profile: profileName,
            session_name: sessionName,
            working_directory: workingDirectory,
          },
        },
      },
    },
    async (request, reply) => {
      const host = hostName(request.params.host);
      const terminal = await fleet.with((client) => client.request(host, "create_session", request.body));
      return reply.status(201).send(terminal);
    },
  );

  app.get<{ Querystring: { host?: string; since?: string } }>("/fleet/events", async (request, reply) => {
    const host = request.query.host !== undefined ? hostName(request.query.host) : undefined;
    const header = request.headers["last-event-id"];
    const resume = Array.isArray(header) ? header[0] : (header ?? request.query.since);
    if (resume !== undefined && !SEQ.test(resume))
      throw new ValidationError(`since must be a stream seq (a non-negative integer), got ${JSON.stringify(resume)}`);
    const filter = host !== undefined ? { host } : {};
    // Opened before the stream is answered: an unreachable fleet is a 503 with its reason, not an empty stream.
    const { recent, feed } = await fleet.with(async (client) => {
      if (resume !== undefined) return { recent: [], feed: await client.events({ ...filter, from: Number(resume) }) };
      const recent = await client.recentEvents({ ...filter, limit: RECENT_EVENTS });
      const last = recent[recent.length - 1]?.streamSeq;
      return { recent, feed: await client.events({ ...filter, from: last ?? "all" }) };
    });
    reply.hijack();
    void pump(reply.raw, recent, feed, deps.keepAliveMs ?? 15_000, streams);
  });
}

function hostName(value: string): string {
  if (!FLEET_HOST_PATTERN.test(value))
    throw new ValidationError(`host must be 1-64 letters, digits, '-' or '_' (got ${JSON.stringify(value)})`);
  return value;
}

/** Writes the events as SSE, waiting for the socket when it is full (JetStream holds the rest), until either side ends. */
async function pump(
  res: ServerResponse,
  recent: { streamSeq: number; event: unknown }[],
  feed: FleetEventFeed,
  keepAliveMs: number,
  streams: Set<ServerResponse>,
): Promise<void> {
  streams.add(res);
  let open = true;
  const stop = () => {
    if (!open) return;
    open = false;
    streams.delete(res);
    clearInterval(keepAlive);
    void feed.close();
  };
  res.on("close", stop);
  res.on("error", stop);
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write(": subscribed to the fleet's events\n\n");
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
  keepAlive.unref();
  const send = async (item: { streamSeq: number; event: unknown }) => {
    if (!res.write(`id: ${item.streamSeq}\nevent: fleet_event\ndata: ${JSON.stringify(item.event)}\n\n`))
      await new Promise<void>((resolve) => {
        res.once("drain", resolve);
        res.once("close", resolve);
      });
  };
  try {
    for (const item of recent) if (open) await send(item);
    for await (const item of feed) {
      if (!open) break;
      await send(item);
    }
  } catch {
    // the feed ended with the connection: the client reconnects with Last-Event-ID
  } finally {
    stop();
    res.end();
  }
}
