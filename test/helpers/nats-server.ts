import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { tempDir } from "./fs-fixtures.js";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

/** The nats-server the fleet tests run (Debian's package); CAO_NATS_SERVER names another. */
export const NATS_SERVER = process.env.CAO_NATS_SERVER || "/usr/sbin/nats-server";

/** Throws a clear error when nats-server is missing (.ci/run installs it): the fleet tests fail, never skip. */
export function assertNatsServer(): void {
  try {
    fs.accessSync(NATS_SERVER, fs.constants.X_OK);
  } catch {
    throw new Error(
      `${NATS_SERVER} is missing: install Debian's nats-server (apt-get install nats-server) or set CAO_NATS_SERVER`,
    );
  }
}

/** A real `nats-server -js` child on a loopback port of its own, with its own store directory. */
export interface NatsServerProcess {
  port: number;
  url: string;
  storeDir: string;
  child: ChildProcess;
  output(): string;
  /** Signals it (default SIGTERM) and waits until it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory (after stop). */
  restart(): Promise<void>;
}

export interface NatsServerOptions {
  port?: number;
  storeDir?: string;
  /** More arguments: `--user`, `--pass`, `--auth`, `--tlsverify`, … */
  args?: string[];
}

const started: NatsServerProcess[] = [];

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
  assertNatsServer();
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? tempDir("cao-nats-");
  let text = "";
  let child!: ChildProcess;
  const launch = async () => {
    text = "";
    child = spawn(
      NATS_SERVER,
      ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir, ...(options.args ?? [])],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}):\n${text}`);
        return text.includes("Server is ready");
      },
      15_000,
      "nats-server to be ready",
      20,
    );
  };
  await launch();
  const server: NatsServerProcess = {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get child() {
      return child;
    },
    output: () => text,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await gone;
    },
    restart: launch,
  };
  started.push(server);
  return server;
}

/** SIGKILLs every nats-server this file started (call in afterAll). */
export async function stopNatsServers(): Promise<void> {
  for (const server of started.splice(0)) await server.stop("SIGKILL");
}
