import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { TmuxClient } from "../../src/clients/tmux.js";
import { tempDir, writeFile } from "./fs-fixtures.js";
import type { LogLine } from "./log-capture.js";
import { waitFor } from "./wait.js";

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

export interface ChildServer {
  child: ChildProcess;
  home: string;
  url: string;
  /** Every JSON log line the server wrote so far (stdout), parsed. */
  lines(): LogLine[];
  warnings(): LogLine[];
  /** stdout and stderr as written, for failure messages. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** GET /health; undefined when the server does not answer. */
  health(): Promise<{ status: string } | undefined>;
  get(route: string): Promise<unknown>;
  post(route: string, query: Record<string, string>): Promise<{ status: number; body: unknown }>;
}

let counter = 0;
const started: { server: ChildServer; socket: string }[] = [];

/**
 * `cao server --no-watch` as a real child process (node dist/cli/main.js), with its own CAO_HOME holding the given
 * drop-ins, a free port, a private tmux socket and JSON logs. Call `stopChildServers()` in afterEach/afterAll.
 */
export async function spawnChildServer(options: { plugins: Record<string, string>; env?: Record<string, string> }): Promise<ChildServer> {
  const home = tempDir("cao-child-");
  for (const [file, source] of Object.entries(options.plugins)) writeFile(path.join(home, "plugins", file), source);
  const port = await freePort();
  const socket = `cao-child-${process.pid}-${++counter}`;
  const child = spawn(process.execPath, [path.resolve("dist/cli/main.js"), "server", "--no-watch"], {
    env: {
      ...process.env,
      CAO_HOME: home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: socket,
      CAO_LOG_FORMAT: "json",
      CAO_LOG_LEVEL: "info",
      CAO_MOCK_DELAY_MS: "100",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const url = `http://127.0.0.1:${port}`;
  const lines = (): LogLine[] =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  const server: ChildServer = {
    child,
    home,
    url,
    lines,
    warnings: () => lines().filter((line) => line.level === 40),
    output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`,
    exited,
    async health() {
      try {
        const response = await fetch(`${url}/health`);
        return response.ok ? ((await response.json()) as { status: string }) : undefined;
      } catch {
        return undefined;
      }
    },
    async get(route) {
      const response = await fetch(url + route);
      if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    async post(route, query) {
      const target = new URL(route, url);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      const response = await fetch(target, { method: "POST" });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
  };
  started.push({ server, socket });
  return server;
}

/** Waits until the server answers /health; fails at once (with its output) if it exits first. */
export async function waitForHealth(server: ChildServer, timeoutMs = 30_000): Promise<void> {
  let exit: number | string | undefined;
  void server.exited.then((code) => (exit = code));
  await waitFor(
    async () => {
      if (exit !== undefined) throw new Error(`cao server exited (${exit}) before answering /health\n${server.output()}`);
      return (await server.health())?.status === "ok";
    },
    timeoutMs,
    "cao server to answer /health",
    50,
  );
}

/** SIGTERM, then the exit code; SIGKILL (and a thrown error) if it does not exit within `timeoutMs`. */
export async function stopChildServer(server: ChildServer, timeoutMs = 15_000): Promise<number | string> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), timeoutMs)));
  const outcome = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  if (outcome === "hung") {
    server.child.kill("SIGKILL");
    throw new Error(`cao server did not exit within ${timeoutMs} ms of SIGTERM\n${server.output()}`);
  }
  return outcome;
}

export async function stopChildServers(): Promise<void> {
  for (const { server, socket } of started.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    await server.exited;
    await new TmuxClient({ socketName: socket }).killServer();
  }
}
