import fs from "node:fs";
import path from "node:path";
import { CaoClient } from "../../src/clients/api-client.js";
import { createServer, type CaoServer, type ServerOptions } from "../../src/server.js";
import { captureLogs } from "./log-capture.js";
import { tempDir } from "./fs-fixtures.js";

let counter = 0;

export interface TestServer {
  url: string;
  home: string;
  server: CaoServer;
  client: CaoClient;
  logs: ReturnType<typeof captureLogs>;
  /** Raw HTTP, for status codes and error bodies. */
  http(
    method: string,
    route: string,
    options?: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * A real cao-server on a free loopback port, with its own CAO_HOME, its own tmux server (private socket),
 * and the given drop-in plugins written into its plugins dir before it starts.
 */
export async function startTestServer(
  options: {
    plugins?: Record<string, string>;
    server?: Partial<ServerOptions>;
    /** More server environment variables (CAO_DEFAULT_PROVIDER, …), beside CAO_HOME and PATH. */
    env?: Record<string, string>;
    /** Agent profiles written into `<CAO_HOME>/agent-store` before the server starts: name → file text. */
    profiles?: Record<string, string>;
  } = {},
): Promise<TestServer> {
  const home = tempDir("cao-e2e-");
  for (const [file, source] of Object.entries(options.plugins ?? {})) {
    fs.mkdirSync(path.join(home, "plugins"), { recursive: true });
    fs.writeFileSync(path.join(home, "plugins", file), source);
  }
  for (const [name, text] of Object.entries(options.profiles ?? {})) {
    fs.mkdirSync(path.join(home, "agent-store"), { recursive: true });
    fs.writeFileSync(path.join(home, "agent-store", `${name}.md`), text);
  }
  // The mock agent reads its busy time from the tmux server's environment, which it inherits from us.
  process.env.CAO_MOCK_DELAY_MS ??= "300";
  const logs = captureLogs("info");
  const server = createServer({
    env: { CAO_HOME: home, PATH: process.env.PATH, ...options.env },
    port: 0,
    watch: false,
    logger: logs.logger,
    tmux: { socketName: `cao-test-${process.pid}-${++counter}` },
    inbox: { pollMs: 100 },
    ...options.server,
  });
  const url = await server.listen();
  return {
    url,
    home,
    server,
    client: new CaoClient({ baseUrl: url }),
    logs,
    async http(method, route, opts = {}) {
      const target = new URL(route, url);
      for (const [k, v] of Object.entries(opts.query ?? {})) target.searchParams.set(k, v);
      const response = await fetch(target, {
        method,
        headers: { ...(opts.body !== undefined ? { "content-type": "application/json" } : {}), ...opts.headers },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await server.close();
      await server.tmux.killServer();
    },
  };
}
