import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { CaoClient } from "../../src/clients/api-client.js";
import { waitFor } from "./wait.js";

export const CAO_MAIN = path.resolve("dist/cli/main.js");

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

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  client: CaoClient;
  /** Everything the server printed so far (JSON log lines: CAO_LOG_FORMAT=json). */
  output(): string;
  /** Parsed log lines at WARN (40) or above. */
  warnings(): { level: number; msg: string; [key: string]: unknown }[];
  /** Signals the server and waits for it to exit; resolves to its exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every server child still running (call in afterAll/afterEach). */
export function killServerProcesses(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  running.clear();
}

/**
 * A real `cao server` child process with its own CAO_HOME and private tmux socket; resolves once /health answers.
 * Its stdout and stderr are collected (JSON logs) for assertions on WARN lines.
 */
export async function startServerProcess(options: {
  home: string;
  socket: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [CAO_MAIN, "server", "--no-watch", ...(options.args ?? [])], {
    env: {
      ...process.env,
      CAO_HOME: options.home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: options.socket,
      CAO_MOCK_DELAY_MS: "300",
      CAO_LOG_FORMAT: "json",
      CAO_LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const client = new CaoClient({ baseUrl: url });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`cao server exited with ${child.exitCode} before answering:\n${text}`);
      return (await client.health().catch(() => undefined))?.status === "ok";
    },
    20_000,
    "cao-server to answer /health",
    25,
  );
  return {
    child,
    port,
    url,
    client,
    output: () => text,
    warnings: () =>
      text
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level >= 40),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      running.delete(child);
      return code;
    },
  };
}
