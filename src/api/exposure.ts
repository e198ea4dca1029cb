import { boundHostNames, isLoopbackBind } from "./network.js";

/** cao-server must not start as configured; the message says what is missing. `cao server` exits 1 with it. */
export class ExposureRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExposureRefusedError";
  }
}

export interface Exposure {
  /** Listening on a non-loopback address: reachable from the network. */
  remote: boolean;
  /** Required on every request when set (remote mode always has one; a loopback server may have one too). */
  apiToken?: string;
  /** Host header names accepted besides the loopback ones. */
  allowedHosts: string[];
}

/** A token travels in an HTTP header: visible ASCII, no spaces (what `openssl rand -hex 32` prints). */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * Where the server may listen, decided before anything is opened. Loopback is the default and needs nothing. A
 * non-loopback address makes every session, agent and terminal reachable from the network, and a remote client can
 * forge `Host: localhost`, so it needs both an explicit opt-in and a token that every request must carry.
 */
export function resolveExposure(options: {
  host: string;
  allowRemote: boolean;
  apiToken: string | undefined;
}): Exposure {
  const apiToken = options.apiToken === "" ? undefined : options.apiToken;
  if (apiToken !== undefined && !TOKEN.test(apiToken)) {
    throw new ExposureRefusedError(
      "CAO_API_TOKEN must be printable ASCII without spaces or control characters (it is sent in an HTTP header); e.g. the output of `openssl rand -hex 32`",
    );
  }
  if (isLoopbackBind(options.host))
    return { remote: false, allowedHosts: [], ...(apiToken !== undefined ? { apiToken } : {}) };
  const missing: string[] = [];
  if (!options.allowRemote) missing.push("the --allow-remote flag (or CAO_ALLOW_REMOTE=1)");
  if (apiToken === undefined)
    missing.push("a non-empty CAO_API_TOKEN (clients send it as Authorization: Bearer <token>)");
  if (missing.length > 0) {
    throw new ExposureRefusedError(
      `refusing to listen on ${options.host}: it is not a loopback address, so the API would be reachable from the network. Missing: ${missing.join(" and ")}.`,
    );
  }
  return { remote: true, apiToken: apiToken!, allowedHosts: boundHostNames(options.host) };
}
