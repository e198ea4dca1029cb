import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AGENT_HOOK_TOKEN_HEADER } from "../contract/vocabulary.js";
import { canonicalHost, hostOfHeader, isLoopbackHost } from "./network.js";

export interface GateOptions {
  /** Host names accepted besides the loopback ones (the names a remote-mode server was bound to). */
  allowedHosts?: readonly string[];
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** The port this server really listens on (known only after listen: tests use port 0). */
  port(): number;
}

export interface Refusal {
  status: 400 | 401 | 403;
  detail: string;
  headers?: Record<string, string>;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * An agent's hook call (docs/contract.md#agent-hooks) carries its own terminal's secret instead of the API token: the
 * agent is given only that, and the route checks it. Exact path, POST only, the header present.
 */
function isAgentHookCall(request: IncomingMessage): boolean {
  return (
    request.method === "POST" &&
    typeof request.headers[AGENT_HOOK_TOKEN_HEADER] === "string" &&
    /^\/terminals\/[a-f0-9]{8}\/agent-hooks(?:\?[^/]*)?$/.test(request.url ?? "")
  );
}

/** sha256 first, so the comparison takes the same time whatever the lengths: nothing about the token leaks. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer[ \t]+([^\s]+)[ \t]*$/i)?.[1];
}

/** Only `http://<loopback host>:<this server's port>`: what a page served by this very server would send. */
function isOwnLoopbackOrigin(origin: string, port: number): boolean {
  if (!/^http:\/\/[^/?#@\\]+$/i.test(origin)) return false; // also refuses "null" (sandboxed frames, file://)
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return isLoopbackHost(url.hostname) && (url.port === "" ? 80 : Number(url.port)) === port;
}

/**
 * Decides, from the request head alone and before fastify routes the request or reads a parameter, whether this
 * client may talk to cao-server at all:
 * - Host (400): DNS-rebinding protection, as CAO does. A page on an attacker's domain that resolves to 127.0.0.1
 *   still sends its own Host header.
 * - Authorization (401), when a token is configured: remote clients can forge `Host: localhost`, not the token.
 * - Origin (403) on POST/PUT/PATCH/DELETE: a browser sends Origin on every cross-site POST, and CAO's POST
 *   parameters may come in the query string, so without this any page the user visits could create sessions and type
 *   into agents with a body-less no-cors fetch. Clients that send no Origin (curl, the CLI, cao-mcp-server) pass.
 */
export function createRequestGate(options: GateOptions): (request: IncomingMessage) => Refusal | undefined {
  const allowedHosts = new Set((options.allowedHosts ?? []).map(canonicalHost).filter((name) => name !== undefined));
  const token = options.apiToken;
  return (request) => {
    const hostHeader = request.headers.host;
    const host = hostHeader === undefined ? undefined : hostOfHeader(hostHeader);
    if (host === undefined || !(isLoopbackHost(host) || allowedHosts.has(host))) {
      return {
        status: 400,
        detail: `invalid host header ${JSON.stringify(hostHeader ?? "")}: cao-server only answers to loopback names${allowedHosts.size > 0 ? " and the names it was bound to" : ""}`,
      };
    }
    if (token !== undefined && !isAgentHookCall(request)) {
      const given = bearerToken(request.headers.authorization);
      if (given === undefined || !sameSecret(given, token)) {
        return {
          status: 401,
          detail:
            "missing or wrong API token: send Authorization: Bearer <token>, the value of the server's CAO_API_TOKEN",
          headers: { "www-authenticate": 'Bearer realm="cao-server"' },
        };
      }
    }
    const origin = request.headers.origin;
    if (
      origin !== undefined &&
      STATE_CHANGING.has(request.method ?? "") &&
      !isOwnLoopbackOrigin(origin, options.port())
    ) {
      return {
        status: 403,
        detail: `cross-origin request refused: ${request.method} from Origin ${JSON.stringify(origin)}; only pages of this server (http://localhost:${options.port()}) may change state`,
      };
    }
    return undefined;
  };
}
