// The fleet's costs (docs/fleet.md), each against a baseline measured in the same run: a real `nats-server -js`
// (Debian's, or CAO_NATS_SERVER) and three real `cao server` processes: hostA and hostB in the fleet, "plain" in none.
//   1. events/s published to CAO_EVENTS by one host under a burst of inputs, against the rate its journal took them;
//   2. latency from an event's timestamp to a FleetClient (here, another process on NATS) receiving it, against the
//      same host's own SSE stream (GET /events) receiving it;
//   3. create_session through the fleet (cao.cmd.hostB.create_session) against POST /sessions on hostB directly;
//   4. POST /terminals/:id/input p99 on a fleet member against the plain server (target <= 1.05x).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fixed, freePort, isMain, median, quantile, report, root, sleep, startServerProcess } from "./lib.mjs";

const NATS_SERVER = process.env.CAO_NATS_SERVER || "/usr/sbin/nats-server";
const BURST = Number(process.env.BENCH_FLEET_BURST ?? 300);
const PACED = Number(process.env.BENCH_FLEET_PACED ?? 150);
const CREATES = Number(process.env.BENCH_FLEET_CREATES ?? 10);
const INPUTS = Number(process.env.BENCH_FLEET_INPUTS ?? 1000);
const WARMUP = 30;

async function startNats() {
  const port = await freePort();
  const store = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-nats-"));
  const child = spawn(NATS_SERVER, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stderr.on("data", (c) => (text += c));
  child.stdout.on("data", (c) => (text += c));
  for (let i = 0; !text.includes("Server is ready"); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`nats-server did not start:\n${text}`);
    await sleep(25);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop() {
      child.kill("SIGKILL");
      fs.rmSync(store, { recursive: true, force: true });
    },
  };
}

async function session(server, name) {
  return server.call("POST", `/sessions?provider=mock&agent_profile=developer&session_name=${name}`);
}

async function input(server, terminal, i) {
  const url = `${server.base}/terminals/${terminal}/input?message=bench+${i}&sender_id=0000aaaa&orchestration_type=send_message`;
  const start = process.hrtime.bigint();
  const response = await fetch(url, { method: "POST" });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${server.label}: input HTTP ${response.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** GET /events as Server-Sent Events: calls onEvent(event JSON) for each. */
async function sse(server, onEvent, signal) {
  const response = await fetch(`${server.base}/events`, { headers: { accept: "text/event-stream" }, signal });
  (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => l.slice(6))
            .join("\n");
          if (data) onEvent(JSON.parse(data));
        }
      }
    } catch {}
  })();
}

const stats = (list) => ({ p50: quantile(list, 0.5), p99: quantile(list, 0.99), n: list.length });

export async function run() {
  const { FleetClient } = await import(pathToFileURL(path.join(root, "dist/fleet/client.js")).href);
  const nats = await startNats();
  const servers = [];
  let client;
  const stopSse = new AbortController();
  try {
    const [a, b, plain] = await Promise.all([
      startServerProcess("fleetA", {
        env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "hostA", CAO_MOCK_DELAY_MS: "1" },
      }),
      startServerProcess("fleetB", {
        env: { CAO_FLEET_NATS_URL: nats.url, CAO_FLEET_HOST: "hostB", CAO_MOCK_DELAY_MS: "1" },
      }),
      startServerProcess("plain", { env: { CAO_MOCK_DELAY_MS: "1" } }),
    ]);
    servers.push(a, b, plain);
    client = await FleetClient.connect({ servers: [nats.url] }, "cao bench");
    for (let i = 0; (await client.hosts()).length < 2; i++) {
      if (i > 600) throw new Error("the two hosts did not join the fleet");
      await sleep(50);
    }
    const termA = (await session(a, "bench-a")).id;
    const termPlain = (await session(plain, "bench-plain")).id;

    // Every event of hostA as it reaches the client, and as it reaches A's own SSE stream: wall time of arrival.
    const viaFleet = new Map();
    const viaSse = new Map();
    const feed = await client.events({ host: "hostA" });
    (async () => {
      for await (const { event } of feed) viaFleet.set(event.data.seq, { at: Date.now(), time: event.data.timestamp });
    })();
    await sse(a, (event) => viaSse.set(event.seq, { at: Date.now(), time: event.timestamp }), stopSse.signal);
    await sleep(500);
    const lastSeq = async () => {
      const page = await a.call("GET", "/events/history?limit=1");
      return page.length ? page[page.length - 1].seq : 0;
    };
    const waitSeen = async (seq) => {
      for (let i = 0; !(viaFleet.has(seq) && viaSse.has(seq)); i++) {
        if (i > 2400) throw new Error(`event ${seq} not seen in 60 s`);
        await sleep(5);
      }
    };

    // 1. Burst: 8 inputs at a time.
    const before = await lastSeq();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < BURST) await input(a, termA, next++);
      }),
    );
    const tJournal = Date.now();
    const after = await lastSeq();
    await waitSeen(after);
    let tPublished = 0;
    for (let seq = before + 1; seq <= after; seq++) tPublished = Math.max(tPublished, viaFleet.get(seq)?.at ?? 0);
    const burstEvents = after - before;
    const publishedRate = burstEvents / ((tPublished - t0) / 1000);
    const journalRate = burstEvents / ((tJournal - t0) / 1000);

    // 2. Paced: one input every 20 ms; latency from the event's timestamp to each receiver.
    const pacedFrom = await lastSeq();
    for (let i = 0; i < PACED; i++) {
      await input(a, termA, 100_000 + i);
      await sleep(20);
    }
    const pacedTo = await lastSeq();
    await waitSeen(pacedTo);
    const fleetLatency = [];
    const sseLatency = [];
    for (let seq = pacedFrom + 1; seq <= pacedTo; seq++) {
      const f = viaFleet.get(seq);
      const s = viaSse.get(seq);
      if (f) fleetLatency.push(f.at - Date.parse(f.time));
      if (s) sseLatency.push(s.at - Date.parse(s.time));
    }
    await feed.close();
    stopSse.abort();

    // 3. create_session through the fleet vs REST, alternating.
    const viaCommand = [];
    const viaRest = [];
    for (let i = 0; i < CREATES; i++) {
      let start = Date.now();
      await client.request("hostB", "create_session", {
        provider: "mock",
        agent_profile: "developer",
        session_name: `fleet-${i}`,
      });
      viaCommand.push(Date.now() - start);
      start = Date.now();
      await session(b, `rest-${i}`);
      viaRest.push(Date.now() - start);
    }

    // 4. Input latency on the fleet member vs the plain server, alternating which goes first.
    const inputs = { fleet: [], plain: [] };
    for (let i = 0; i < WARMUP + INPUTS; i++) {
      const order = i % 2 === 0 ? ["fleet", "plain"] : ["plain", "fleet"];
      for (const which of order) {
        const ms = which === "fleet" ? await input(a, termA, 200_000 + i) : await input(plain, termPlain, i);
        if (i >= WARMUP) inputs[which].push(ms);
      }
    }
    return {
      burst: { events: burstEvents, inputs: BURST, publishedRate, journalRate },
      latency: { fleet: stats(fleetLatency), sse: stats(sseLatency) },
      create: { fleet: median(viaCommand), rest: median(viaRest), n: CREATES },
      input: { fleet: stats(inputs.fleet), plain: stats(inputs.plain) },
      load: os.loadavg()[0],
    };
  } finally {
    stopSse.abort();
    await client?.close().catch(() => undefined);
    for (const server of servers) server.stop();
    nats.stop();
  }
}

if (isMain(import.meta.url)) {
  const loadBefore = os.loadavg()[0];
  const r = await run();
  console.log(`  1-minute load average: ${fixed(loadBefore, 1)} at the start, ${fixed(r.load, 1)} at the end`);
  report(
    {
      name: `fleet: events published to CAO_EVENTS by one host (burst of ${r.burst.inputs} inputs, 8 at a time)`,
      measured: `${fixed(r.burst.publishedRate, 0)} events/s in the stream (${r.burst.events} events)`,
      baseline: `the host's journal: ${fixed(r.burst.journalRate, 0)} events/s`,
      ratio: `${fixed(r.burst.publishedRate / r.burst.journalRate)}x`,
      target: "reported",
      pass: null,
    },
    r.burst,
  );
  report(
    {
      name: "fleet: event timestamp → received by a FleetClient on NATS (paced inputs)",
      measured: `p50 ${r.latency.fleet.p50} ms, p99 ${r.latency.fleet.p99} ms (${r.latency.fleet.n} events)`,
      baseline: `the host's own SSE GET /events: p50 ${r.latency.sse.p50} ms, p99 ${r.latency.sse.p99} ms`,
      ratio: `p50 +${r.latency.fleet.p50 - r.latency.sse.p50} ms, p99 +${r.latency.fleet.p99 - r.latency.sse.p99} ms`,
      target: "reported",
      pass: null,
    },
    r.latency,
  );
  report(
    {
      name: "fleet: create_session on another host through NATS (cao.cmd.hostB.create_session)",
      measured: `median ${r.create.fleet} ms (${r.create.n})`,
      baseline: `POST /sessions on hostB: median ${r.create.rest} ms`,
      ratio: `${fixed(r.create.fleet / r.create.rest)}x`,
      target: "reported",
      pass: null,
    },
    r.create,
  );
  const ratio = r.input.fleet.p99 / r.input.plain.p99;
  report(
    {
      name: `fleet: POST /terminals/:id/input on a fleet member (${r.input.fleet.n} samples)`,
      measured: `p50 ${fixed(r.input.fleet.p50, 3)} ms, p99 ${fixed(r.input.fleet.p99, 3)} ms`,
      baseline: `no fleet: p50 ${fixed(r.input.plain.p50, 3)} ms, p99 ${fixed(r.input.plain.p99, 3)} ms`,
      ratio: `${fixed(ratio)}x p99`,
      target: "<= 1.05x",
      pass: ratio <= 1.05,
    },
    r.input,
  );
}
