import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { fleetCommandSubject, isFleetCommandOp, type FleetCommandErrorBody } from "../contract/fleet.js";
import { errorMessage } from "../util/errors.js";
import type { ConnectionUser } from "./connection.js";
import { CommandRequestError, KNOWN_OPS, routeCallOf } from "./commands.js";

/** Commands handled at once at most; more are answered 503 at once rather than queued behind slow launches. */
const MAX_IN_FLIGHT = 32;

/**
 * Answers `cao.cmd.<host>.<op>` (docs/fleet.md#commands). Each command is run as the REST request it stands for,
 * through fastify's in-process `inject`: the same schemas, parameter merge, error catalogue and services, so the same
 * interceptors, and the same answer; nothing listens on a network port for it. The reply is the route's JSON on
 * success, else `{"error": {"status", "detail"}}` with the route's status.
 */
export class CommandServer implements ConnectionUser {
  private subscription: Subscription | undefined;
  private inFlight = 0;

  constructor(private readonly deps: { host: string; app: FastifyInstance; logger: Logger }) {}

  attach(nc: NatsConnection): void {
    const prefix = fleetCommandSubject(this.deps.host, "");
    this.subscription = nc.subscribe(`${prefix}>`, {
      callback: (error, msg) => {
        if (error) {
          this.deps.logger.warn(`fleet: the command subscription failed: ${errorMessage(error)}`);
          return;
        }
        void this.handle(msg, msg.subject.slice(prefix.length));
      },
    });
  }

  detach(): void {
    this.subscription = undefined; // closed with its connection
  }

  private async handle(msg: Msg, op: string): Promise<void> {
    if (!msg.reply) return; // a publish, not a request: there is no one to answer
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.fail(msg, 503, `host ${this.deps.host} is busy with ${MAX_IN_FLIGHT} commands; try again`);
      return;
    }
    this.inFlight++;
    try {
      const answer = await this.run(op, msg.string());
      msg.respond(answer);
    } catch (error) {
      this.deps.logger.warn(`fleet: command ${op} failed: ${errorMessage(error)}`);
      this.fail(msg, 500, errorMessage(error));
    } finally {
      this.inFlight--;
    }
  }

  private async run(op: string, text: string): Promise<string> {
    if (!isFleetCommandOp(op)) return errorBody(404, `unknown command ${JSON.stringify(op)} (known: ${KNOWN_OPS})`);
    let call;
    try {
      call = routeCallOf(op, text);
    } catch (error) {
      if (error instanceof CommandRequestError) return errorBody(400, error.message);
      throw error;
    }
    const response = await this.deps.app.inject({
      method: call.method,
      url: call.url,
      ...(call.body !== undefined ? { payload: call.body } : {}),
    });
    this.deps.logger.debug(`fleet: command ${op} answered ${response.statusCode}`);
    if (response.statusCode < 400) return response.body;
    let detail = response.body;
    try {
      const parsed = JSON.parse(response.body) as { detail?: unknown };
      if (typeof parsed.detail === "string") detail = parsed.detail;
    } catch {
      // not JSON: the text is the detail
    }
    return errorBody(response.statusCode, detail);
  }

  private fail(msg: Msg, status: number, detail: string): void {
    try {
      msg.respond(errorBody(status, detail));
    } catch {
      // the connection is gone: the requester times out
    }
  }
}

function errorBody(status: number, detail: string): string {
  const body: FleetCommandErrorBody = { error: { status, detail } };
  return JSON.stringify(body);
}
