// Start-up time of the commands people and agents run many times a day, as users run them (node dist/…), median of
// BENCH_RUNS spawns each (default 15), against bare `node -e 0` spawned the same way in the same run:
//   1. `cao --help`: spawn → exit;
//   2. `cao plugins list` against a running `cao server`: spawn → exit;
//   3. `cao launch --agents developer --headless`: spawn → its POST /sessions reaching the server (a listener in this
//      process that records the arrival and answers 409; what follows is the server's work, not the CLI's start-up);
//   4. `cao-mcp-server`: spawn → initialize → tools/list answered, driven by the MCP SDK's client over stdio.
// The kinds interleave run by run so a busy moment of the machine hits all of them alike.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { fixed, freePort, isMain, median, nowMs, root, startServerProcess } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const CAO = path.join(root, "dist/cli/main.js");
const MCP = path.join(root, "dist/mcp/main.js");
const CLI_TARGET_MS = 250;
const MCP_TARGET_MS = 400;

/** ms from spawn to exit; a non-zero exit code (other than `expectCode`) is an error. */
function timeToExit(args, env, expectCode = 0) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => {
      const ms = nowMs() - start;
      if (code !== expectCode) reject(new Error(`node ${args.join(" ")} exited ${code}:\n${stderr}`));
      else resolve(ms);
    });
  });
}

/** A stand-in for the server that only notes when `cao launch`'s request arrives. */
async function launchListener() {
  const port = await freePort();
  let arrived;
  const server = http.createServer((request, response) => {
    arrived?.(nowMs());
    request.resume();
    response
      .writeHead(409, { "content-type": "application/json" })
      .end(JSON.stringify({ detail: "benchmark: not created" }));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    async time() {
      const reached = new Promise((resolve) => (arrived = resolve));
      const start = nowMs();
      const child = spawn(
        process.execPath,
        [CAO, "launch", "--agents", "developer", "--provider", "mock", "--headless"],
        {
          env: { ...process.env, CAO_API_PORT: String(port) },
          stdio: "ignore",
        },
      );
      const ms = (await reached) - start;
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      if (child.exitCode !== 1) throw new Error(`cao launch exited ${child.exitCode}, expected 1 (the 409)`);
      return ms;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function mcpToolsList(env) {
  const start = nowMs();
  const transport = new StdioClientTransport({ command: process.execPath, args: [MCP], env, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const ms = nowMs() - start;
  await client.close();
  if (tools.length !== 3) throw new Error(`expected 3 tools, got ${tools.map((t) => t.name).join(", ")}`);
  return ms;
}

export async function run() {
  const server = await startServerProcess("cli-startup");
  const listener = await launchListener();
  const env = { ...process.env, CAO_API_PORT: new URL(server.base).port };
  const t = { bare: [], help: [], list: [], launch: [], mcp: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      t.bare.push(await timeToExit(["-e", "0"], env));
      t.help.push(await timeToExit([CAO, "--help"], env));
      t.list.push(await timeToExit([CAO, "plugins", "list"], env));
      t.launch.push(await listener.time());
      t.mcp.push(await mcpToolsList({ ...env, CAO_TERMINAL_ID: "0000aaaa" }));
    }
  } finally {
    await listener.close();
    server.stop();
  }
  const bare = median(t.bare);
  const row = (name, values, target) => ({
    summary: {
      name,
      measured: `median ${fixed(median(values), 0)} ms`,
      baseline: `bare \`node -e 0\`: median ${fixed(bare, 0)} ms`,
      ratio: `${fixed(median(values) / bare)}x`,
      target: `<= ${target} ms`,
      pass: median(values) <= target,
    },
    details: { runs: RUNS, ms: values.map((v) => Math.round(v)), bareMs: t.bare.map((v) => Math.round(v)) },
  });
  return [
    row("`cao --help` (spawn → exit)", t.help, CLI_TARGET_MS),
    row("`cao plugins list`, server running (spawn → exit)", t.list, CLI_TARGET_MS),
    row("`cao launch` (spawn → its request reaches the server)", t.launch, CLI_TARGET_MS),
    row("`cao-mcp-server` (spawn → initialize → tools/list answered)", t.mcp, MCP_TARGET_MS),
  ];
}

if (isMain(import.meta.url)) {
  const { report } = await import("./lib.mjs");
  for (const { summary, details } of await run()) report(summary, details);
}
