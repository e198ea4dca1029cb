import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CaoClient } from "../../src/clients/api-client.js";
import { TmuxClient } from "../../src/clients/tmux.js";
import { tempDir, writeFile } from "./fs-fixtures.js";
import type { LogLine } from "./log-capture.js";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

export const CAO_MAIN = path.resolve("dist/cli/main.js");

/** What a `cao` process printed and its exit code. */
export interface CaoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cao <args>` (dist/cli/main.js) as its own process with `env` (default this one's), stdin not a terminal. */
export function runCao(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CaoRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CAO_MAIN, ...args],
      { env: options.env ?? process.env, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A real `cao server` child process (node dist/cli/main.js) with its own CAO_HOME, port and private tmux server. */
export interface ServerProcess {
  child: ChildProcess;
  home: string;
  socket: string;
  port: number;
  url: string;
  client: CaoClient;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** stdout and stderr as written so far (JSON log lines: CAO_LOG_FORMAT=json), for assertions and failure messages. */
  output(): string;
  /** Every JSON log line written so far, parsed. */
  lines(): LogLine[];
  /** The WARN lines (level 40). */
  warnings(): LogLine[];
  /** GET /health; undefined when the server does not answer. */
  health(): Promise<{ status: string } | undefined>;
  /** Raw HTTP for status codes and error bodies (a JSON body when given); a connection failure is status 0. */
  http(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  /** `tmux -L <socket> …` against this server's tmux (throws on a non-zero exit). */
  tmux(...args: string[]): string;
  /**
   * Signals the server (default SIGTERM) and resolves with its exit code or signal name; if it has not exited within
   * `timeoutMs`, it is SIGKILLed and this throws (a server that does not stop is a failure).
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export interface ServerProcessOptions {
  /** CAO_HOME (default a fresh temp dir); reuse one to restart a server on the same state. */
  home?: string;
  /** tmux socket name (default a fresh one); reuse it with `home`. */
  socket?: string;
  port?: number;
  /** Drop-ins written into `<home>/plugins` before start: file name → source. */
  plugins?: Record<string, string>;
  env?: Record<string, string>;
  args?: string[];
}

let counter = 0;
const started: ServerProcess[] = [];

/** Starts `cao server --no-watch` without waiting for it (see waitForHealth); most tests want startServerProcess. */
export async function spawnServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const home = options.home ?? tempDir("cao-child-");
  for (const [file, source] of Object.entries(options.plugins ?? {}))
    writeFile(path.join(home, "plugins", file), source);
  const port = options.port ?? (await freePort());
  const socket = options.socket ?? `cao-child-${process.pid}-${++counter}`;
  const child = spawn(process.execPath, [CAO_MAIN, "server", "--no-watch", ...(options.args ?? [])], {
    env: {
      ...process.env,
      CAO_HOME: home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: socket,
      CAO_MOCK_DELAY_MS: "300",
      CAO_LOG_FORMAT: "json",
      CAO_LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const url = `http://127.0.0.1:${port}`;
  const lines = (): LogLine[] =>
    text
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  const tmux = (...args: string[]): string =>
    execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const server: ServerProcess = {
    child,
    home,
    socket,
    port,
    url,
    client: new CaoClient({ baseUrl: url, token: options.env?.CAO_API_TOKEN ?? "" }),
    exited,
    output: () => text,
    lines,
    warnings: () => lines().filter((line) => line.level === 40),
    async health() {
      try {
        const response = await fetch(`${url}/health`);
        return response.ok ? ((await response.json()) as { status: string }) : undefined;
      } catch {
        return undefined;
      }
    },
    async http(method, route, body, headers = {}) {
      let response: Response;
      let answer: string;
      try {
        response = await fetch(new URL(route, url), {
          method,
          headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        answer = await response.text();
      } catch {
        return { status: 0, body: undefined };
      }
      try {
        return { status: response.status, body: answer ? JSON.parse(answer) : undefined };
      } catch {
        throw new Error(
          `${method} ${route} answered ${response.status} with a body that is not JSON: ${answer.slice(0, 300)}`,
        );
      }
    },
    tmux,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), timeoutMs)));
      const outcome = await Promise.race([exited, hung]);
      clearTimeout(timer);
      if (outcome !== "hung") return outcome;
      child.kill("SIGKILL");
      throw new Error(`cao server did not exit within ${timeoutMs} ms of ${signal}\n${text}`);
    },
  };
  started.push(server);
  return server;
}

/** Waits until the server answers /health; fails at once (with its output) if it exits first. */
export async function waitForHealth(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  let exit: number | string | undefined;
  void server.exited.then((code) => (exit = code));
  await waitFor(
    async () => {
      if (exit !== undefined)
        throw new Error(`cao server exited (${exit}) before answering /health\n${server.output()}`);
      return (await server.health())?.status === "ok";
    },
    timeoutMs,
    "cao server to answer /health",
    25,
  );
}

/** A real `cao server` child, started and answering /health. */
export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const server = await spawnServerProcess(options);
  await waitForHealth(server);
  return server;
}

/** SIGKILLs every server this file started and stops their tmux servers (call in afterAll/afterEach). */
export async function stopServerProcesses(): Promise<void> {
  const sockets = new Set<string>();
  for (const server of started.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    await server.exited;
    sockets.add(server.socket);
  }
  for (const socket of sockets) await new TmuxClient({ socketName: socket }).killServer();
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
