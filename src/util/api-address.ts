/**
 * Where cao-server listens and where its clients connect (docs/contract.md#configuration): CAO_API_HOST and CAO_API_PORT, defaulting to
 * loopback port 9889. The server and every client read it here, so the two can never disagree on a default.
 */
export const DEFAULT_API_HOST = "127.0.0.1";
export const DEFAULT_API_PORT = 9889;

export interface ApiAddress {
  host: string;
  port: number;
}

/** The address from the environment; an invalid CAO_API_PORT is an error naming it. */
export function apiAddressFrom(env: Record<string, string | undefined>): ApiAddress {
  const host = env.CAO_API_HOST || DEFAULT_API_HOST;
  const raw = env.CAO_API_PORT;
  const port = raw === undefined || raw === "" ? DEFAULT_API_PORT : Number(raw);
  assertPort(port, `CAO_API_PORT=${JSON.stringify(raw)}`);
  return { host, port };
}

export function assertPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`${what} is not a port number (0-65535)`);
}

/** `http://host:port`, with an IPv6 host bracketed. */
export function baseUrlOf({ host, port }: ApiAddress): string {
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}
