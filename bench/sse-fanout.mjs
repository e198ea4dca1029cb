// SSE fan-out (docs/contract.md#events): events per second delivered by a cao-server to 50 connected GET /events clients (in
// another process, so they do not share the server's CPU), against the same stream to 1 client, same run. The server
// runs in this process and the events are dispatched into its journal in chunks of 100 per tick, as requests would
// bring them; the figure is (events × clients) / (first event received → last client complete).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fixed, isMain, report, root, sleep } from "./lib.mjs";

const { createServer } = await import(pathToFileURL(path.join(root, "dist/server.js")).href);
const { MessageSentEvent } = await import(pathToFileURL(path.join(root, "dist/plugins/api/index.js")).href);

const EVENTS = Number(process.env.BENCH_FANOUT_EVENTS ?? 5000);
const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 50);

async function fanOut(clients) {
  const { default: pino } = await import("pino");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-fanout-"));
  const server = createServer({
    env: { CAO_HOME: home, PATH: process.env.PATH },
    port: 0,
    watch: false,
    logger: pino({ level: "warn" }),
    tmux: { socketName: `cao-bench-fanout-${process.pid}` },
  });
  const url = await server.listen();
  try {
    const child = spawn(
      process.execPath,
      [path.join(root, "bench", "sse-clients.mjs"), url, String(clients), String(EVENTS)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    while (!out.includes("ready")) await sleep(10);
    await sleep(200);
    for (let i = 0; i < EVENTS; i++) {
      server.journal.dispatch(
        new MessageSentEvent({
          sessionId: "cao-fan",
          sender: "0000aaaa",
          receiver: "1111bbbb",
          message: `fan-out message ${i}`,
          orchestrationType: "send_message",
        }),
      );
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    const code = await new Promise((resolve) => child.once("exit", resolve));
    const match = /done ([\d.]+)/.exec(out);
    if (code !== 0 || !match)
      throw new Error(`the clients did not all receive ${EVENTS} events (exit ${code}): ${out}`);
    const seconds = Number(match[1]) / 1000;
    return { clients, seconds, perSecond: (EVENTS * clients) / seconds };
  } finally {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export async function run() {
  const one = await fanOut(1);
  const many = await fanOut(CLIENTS);
  return { one, many, events: EVENTS };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(
    {
      name: `SSE fan-out, ${r.events} events to ${r.many.clients} clients`,
      measured: `${fixed(r.many.perSecond, 0)} events/s delivered (${fixed(r.many.seconds, 2)} s)`,
      baseline: `1 client: ${fixed(r.one.perSecond, 0)} events/s`,
      ratio: `${fixed(r.many.perSecond / r.one.perSecond)}x`,
      target: "reference",
      pass: null,
    },
    r,
  );
}
