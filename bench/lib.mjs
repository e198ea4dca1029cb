// Shared by the benchmarks: timing, statistics, temporary plugin homes, and the RESULT line bench/run.mjs reads.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The built package (npm run bench builds first): benchmarks measure what users run. The plugin API and the host,
 * as an embedder imports them (not the server: its modules would sit in every heap figure). */
export const plugins = {
  ...(await import(pathToFileURL(path.join(root, "dist/plugins/api/index.js")).href)),
  ...(await import(pathToFileURL(path.join(root, "dist/plugins/host/index.js")).href)),
};

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (values) => quantile(values, 0.5);

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Whether the calling module was started directly (`node bench/x.mjs`) rather than imported. */
export function isMain(moduleUrl) {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(path.resolve(process.argv[1])).href;
}

/** A temporary CAO_HOME whose plugins dir holds `files` (name → source); removed at exit. */
export function tempHome(files = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-"));
  fs.mkdirSync(path.join(home, "plugins"));
  for (const [name, source] of Object.entries(files)) fs.writeFileSync(path.join(home, "plugins", name), source);
  process.once("exit", () => fs.rmSync(home, { recursive: true, force: true }));
  return home;
}

/** A loaded registry over `home`, silent unless something is wrong. */
export async function loadRegistry(home, options = {}) {
  const { default: pino } = await import("pino");
  const registry = new plugins.PluginRegistry({
    env: { CAO_HOME: home },
    cwd: home,
    watch: false,
    logger: pino({ level: "warn" }),
    ...options,
  });
  await registry.load();
  return registry;
}

export function messageEvent(i) {
  return new plugins.MessageSentEvent({
    sessionId: "cao-bench",
    sender: "0000aaaa",
    receiver: "1111bbbb",
    message: `m${i}`,
    orchestrationType: "send_message",
  });
}

/**
 * Prints a benchmark's summary for people and one `RESULT {json}` line for bench/run.mjs.
 * summary: { name, measured, baseline, ratio, target, pass } (measured/baseline are display strings; pass null for a
 * reference row without a target).
 */
export function report(summary, details = {}) {
  console.log(`${summary.name}`);
  console.log(`  measured: ${summary.measured}`);
  console.log(`  baseline: ${summary.baseline}`);
  console.log(
    `  ratio:    ${summary.ratio}   target: ${summary.target}   ${summary.pass === null ? "" : summary.pass ? "PASS" : "MISS"}`,
  );
  console.log(`RESULT ${JSON.stringify({ ...summary, details })}`);
}

export const fixed = (n, digits = 2) => Number(n).toFixed(digits);

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * A real `cao server` child process (built package) with its own CAO_HOME and private tmux server; `plugins` maps
 * drop-in file names to sources. Resolves once /health answers; `stop()` kills it and removes everything.
 */
export async function startServerProcess(
  label,
  { plugins = {}, env = {}, main = path.join(root, "dist/cli/main.js") } = {},
) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `cao-bench-${label}-`));
  fs.mkdirSync(path.join(home, "plugins"));
  for (const [name, source] of Object.entries(plugins)) fs.writeFileSync(path.join(home, "plugins", name), source);
  const port = await freePort();
  const socket = `cao-bench-${label}-${process.pid}`;
  const child = spawn(process.execPath, [main, "server", "--no-watch"], {
    env: {
      ...process.env,
      CAO_HOME: home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: socket,
      CAO_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 2400) throw new Error(`${label} server did not start within 60 s`); // generous: a loaded machine starts slowly
    await sleep(25);
  }
  return {
    label,
    base,
    home,
    async call(method, route) {
      const response = await fetch(`${base}${route}`, { method });
      const body = await response.json();
      if (!response.ok)
        throw new Error(`${label}: ${method} ${route}: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body;
    },
    stop() {
      child.kill("SIGKILL");
      try {
        execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
      } catch {}
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The pid of a startServerProcess() server, found through /proc. */
export function serverPid(server) {
  // startServerProcess does not expose the child: find the process listening on its port through /proc.
  const port = new URL(server.base).port;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (
        environ.includes(`CAO_API_PORT=${port}\0`) &&
        fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("server")
      )
        return Number(entry);
    } catch {}
  }
  throw new Error(`no process found for the server on port ${port}`);
}

/** The user + system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
}
