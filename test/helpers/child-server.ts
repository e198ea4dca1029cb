import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { CaoClient } from "../../src/clients/api-client.js";
import { tempDir } from "./fs-fixtures.js";
import { waitFor } from "./wait.js";

/** A real `cao server` child process with its own CAO_HOME, port and private tmux server. */
export interface ChildServer {
  child: ChildProcess;
  client: CaoClient;
  url: string;
  home: string;
  socket: string;
  /** What the child wrote to stderr (its WARN/ERROR/FATAL lines, as JSON). */
  stderr(): string;
  /** Raw HTTP for status codes and error bodies; a connection failure resolves to status 0. */
  http(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** `tmux -L <socket> …` against this server's tmux (throws on a non-zero exit). */
  tmux(...args: string[]): string;
  /** SIGKILLs the child (if running) and its tmux server; idempotent. */
  stop(): Promise<void>;
}

const started: ChildServer[] = [];
let counter = 0;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export async function startChildServer(options: { env?: Record<string, string>; plugins?: Record<string, string> } = {}): Promise<ChildServer> {
  const home = tempDir("cao-child-");
  for (const [file, source] of Object.entries(options.plugins ?? {})) {
    fs.mkdirSync(path.join(home, "plugins"), { recursive: true });
    fs.writeFileSync(path.join(home, "plugins", file), source);
  }
  const port = await freePort();
  const socket = `cao-child-${process.pid}-${++counter}`;
  const child = spawn(process.execPath, [path.resolve("dist/cli/main.js"), "server", "--no-watch"], {
    env: { ...process.env, CAO_HOME: home, CAO_API_PORT: String(port), CAO_TMUX_SOCKET: socket, CAO_MOCK_DELAY_MS: "300", CAO_LOG_LEVEL: "warn", ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const url = `http://127.0.0.1:${port}`;
  const client = new CaoClient({ baseUrl: url });
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const server: ChildServer = {
    child,
    client,
    url,
    home,
    socket,
    stderr: () => stderr,
    async http(method, route, body) {
      let response: Response;
      let text: string;
      try {
        response = await fetch(new URL(route, url), {
          method,
          ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
        });
        text = await response.text();
      } catch {
        return { status: 0, body: undefined };
      }
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    tmux,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      try {
        tmux("kill-server");
      } catch {
        // not running
      }
    },
  };
  started.push(server);
  await waitFor(async () => (await client.health().catch(() => undefined))?.status === "ok" || child.exitCode !== null, 20_000, "cao-server to answer");
  if (child.exitCode !== null) throw new Error(`cao server exited with ${child.exitCode} at start: ${stderr}`);
  return server;
}

/** Stops every child server started by this test file (call in afterAll/afterEach). */
export async function stopChildServers(): Promise<void> {
  for (const server of started.splice(0)) await server.stop();
}

/** Pids of the live child processes of `pid` whose command name is `name` (Linux /proc). */
export function childrenNamed(pid: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(" ");
    if (Number(ppid) === pid && comm === name && state !== "Z") found.push(Number(entry));
  }
  return found;
}
