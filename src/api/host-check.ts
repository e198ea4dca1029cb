import type { FastifyInstance } from "fastify";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** The host part of a Host header, without port ("[::1]:9889" → "[::1]", "localhost:1" → "localhost"). */
export function hostName(header: string): string {
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1);
  return header.split(":")[0]!.toLowerCase();
}

/**
 * DNS-rebinding protection, as CAO does: a web page on an attacker's domain that resolves to 127.0.0.1 still sends
 * its own Host header, so any request whose Host is not a loopback name is refused before routing.
 */
export function installHostCheck(app: FastifyInstance, extraAllowed: readonly string[] = []): void {
  const allowed = new Set([...LOOPBACK_HOSTS, ...extraAllowed.map((h) => h.toLowerCase())]);
  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.host;
    if (!header || !allowed.has(hostName(header))) {
      return reply.status(400).send({ detail: `invalid host header ${JSON.stringify(header ?? "")}: cao-server only answers to loopback names` });
    }
  });
}
