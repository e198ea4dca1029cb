import { FLEET_COMMAND_OPS, type FleetCommandOp } from "../contract/fleet.js";

/** The REST request a command stands for. */
export interface RouteCall {
  method: "GET" | "POST" | "DELETE";
  url: string;
  body?: Record<string, unknown>;
}

/** A request the command cannot even be turned into a route call for. */
export class CommandRequestError extends Error {}

/**
 * Each op as its REST route (docs/contract.md#fleet): the request is the route's JSON parameters, its path parameter
 * included by name (`terminal_id`, `receiver_id`, `session_name`); the route itself validates every value.
 */
const ROUTES: Record<FleetCommandOp, (request: Record<string, unknown>) => RouteCall> = {
  list_sessions: () => ({ method: "GET", url: "/sessions" }),
  create_session: (request) => ({ method: "POST", url: "/sessions", body: request }),
  send_input: (request) => {
    const { terminal_id, ...body } = request;
    return { method: "POST", url: `/terminals/${pathParam(terminal_id, "terminal_id")}/input`, body };
  },
  send_message: (request) => {
    const { receiver_id, ...body } = request;
    return { method: "POST", url: `/terminals/${pathParam(receiver_id, "receiver_id")}/inbox/messages`, body };
  },
  delete_session: (request) => ({
    method: "DELETE",
    url: `/sessions/${pathParam(request.session_name, "session_name")}`,
  }),
  // A session's terminals and their statuses, for the dashboard's fleet view.
  get_session: (request) => ({ method: "GET", url: `/sessions/${pathParam(request.session_name, "session_name")}` }),
};

/** The route call for `op` with the request's JSON text (empty means `{}`). */
export function routeCallOf(op: FleetCommandOp, text: string): RouteCall {
  let request: unknown = {};
  if (text.trim() !== "") {
    try {
      request = JSON.parse(text);
    } catch (error) {
      throw new CommandRequestError(`the request is not JSON: ${(error as Error).message}`);
    }
  }
  if (typeof request !== "object" || request === null || Array.isArray(request))
    throw new CommandRequestError("the request must be a JSON object");
  return ROUTES[op](request as Record<string, unknown>);
}

export const KNOWN_OPS = FLEET_COMMAND_OPS.join(", ");

function pathParam(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw new CommandRequestError(`${name} is required (a string)`);
  // Dots too, so `..` stays a value and never a path segment.
  return encodeURIComponent(value).replaceAll(".", "%2E");
}
