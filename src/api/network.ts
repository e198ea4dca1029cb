import net from "node:net";
import os from "node:os";

/**
 * Host names and addresses as the security checks see them. Every name is compared in the form the WHATWG URL parser
 * gives it (lower case, IPv4 in dotted quad, IPv6 compressed and bracketed), which is also what a browser puts in
 * Origin, so "127.1", "LOCALHOST" and "[0:0:0:0:0:0:0:1]" are recognised for what they are.
 */

/** A Host header value: a name or address and an optional port, nothing else (no userinfo, path or spaces). */
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

/** `name` in URL form ("::1" → "[::1]", "LocalHost" → "localhost"), or undefined when it is not a valid host. */
export function canonicalHost(name: string): string | undefined {
  const bracketed = net.isIPv6(name) ? `[${name}]` : name;
  try {
    return new URL(`http://${bracketed}`).hostname;
  } catch {
    return undefined;
  }
}

/** The canonical host name of a Host header ("[::1]:9889" → "[::1]"), or undefined when the header is malformed. */
export function hostOfHeader(header: string): string | undefined {
  if (!HOST_HEADER.test(header)) return undefined;
  try {
    return new URL(`http://${header}`).hostname;
  } catch {
    return undefined;
  }
}

/** localhost, 127.0.0.0/8 and ::1, in canonical form. */
export function isLoopbackHost(canonical: string): boolean {
  if (canonical === "localhost" || canonical === "[::1]") return true;
  return net.isIPv4(canonical) && canonical.startsWith("127.");
}

/** A listen address that means "every interface". */
export function isWildcardHost(host: string): boolean {
  const canonical = canonicalHost(host);
  return canonical === "0.0.0.0" || canonical === "[::]";
}

/** True when listening on `host` keeps the server reachable from this machine only. */
export function isLoopbackBind(host: string): boolean {
  const canonical = canonicalHost(host);
  return canonical !== undefined && isLoopbackHost(canonical);
}

function interfaceAddresses(family: "IPv4" | "IPv6" | "any"): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => family === "any" || info.family === family)
    .map((info) => info.address);
}

/**
 * The Host names a server bound to `host` answers to besides the loopback ones: the bound name itself, and for a
 * wildcard bind every address of this machine's interfaces and its host name, since clients may use any of them.
 */
export function boundHostNames(host: string): string[] {
  const names = [host];
  if (isWildcardHost(host))
    names.push(os.hostname(), ...interfaceAddresses(canonicalHost(host) === "0.0.0.0" ? "IPv4" : "any"));
  return names.map(canonicalHost).filter((name): name is string => name !== undefined);
}

/**
 * The URLs a listening server can be reached at: its one address, or for a wildcard bind one per interface
 * address (loopback first), since "http://0.0.0.0:9889" is not an address anyone can use.
 */
export function listeningUrls(address: net.AddressInfo): string[] {
  const url = (host: string) => `http://${canonicalHost(host) ?? host}:${address.port}`;
  if (!isWildcardHost(address.address)) return [url(address.address)];
  const addresses = interfaceAddresses(address.family === "IPv4" ? "IPv4" : "any").filter(
    (a) => !a.startsWith("fe80:"),
  );
  return addresses.sort((a, b) => Number(isLoopbackBind(b)) - Number(isLoopbackBind(a))).map(url);
}

/** The address clients on this machine should use for a server bound to `host` (loopback for a wildcard bind). */
export function localClientHost(host: string): string {
  if (!isWildcardHost(host)) return host;
  return canonicalHost(host) === "0.0.0.0" ? "127.0.0.1" : "::1";
}
