// Inbox delivery to one fast receiver (a mock agent that answers at once) on a real `cao server` child process:
// (1) latency from "message accepted" to "typed into the idle receiver", p50/p90 over sequential messages, read from
// the server's own created_at and delivered_at; baseline in the same run: the typing floor, a direct
// POST /terminals/:id/input round trip to the same receiver. (2) messages per second when a burst waits in the inbox.
// Target: p50 <= 100 ms.
import path from "node:path";
import Database from "better-sqlite3";
import { isMain, median, quantile, report, sleep, startServerProcess } from "./lib.mjs";

const SEQUENTIAL = Number(process.env.BENCH_INBOX_MESSAGES ?? 40);
const BURST = Number(process.env.BENCH_INBOX_BURST ?? 100);
const SENDER = "0000aaaa";

async function waitUntil(predicate, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function run() {
  // Hooks off: this measures the inbox, not the mock agent's two hook calls per message (bench/agent-hooks.mjs does).
  const server = await startServerProcess("inbox", { env: { CAO_MOCK_DELAY_MS: "0", CAO_DISABLE_AGENT_HOOKS: "1" } });
  let connection;
  try {
    const terminal = await server.call("POST", "/sessions?provider=mock&agent_profile=developer&session_name=inbox");
    const id = terminal.id;
    const db = () => (connection ??= new Database(path.join(server.home, "db", "cao.db"), { readonly: true }));
    const idle = async () => ["idle", "completed"].includes((await server.call("GET", `/terminals/${id}`)).status);
    const delivered = async () => server.call("GET", `/terminals/${id}/inbox/messages?status=delivered&limit=1000`);

    const floor = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      await waitUntil(idle, "the receiver to be idle");
      const start = process.hrtime.bigint();
      await server.call("POST", `/terminals/${id}/input?message=floor+${i}`);
      floor.push(Number(process.hrtime.bigint() - start) / 1e6);
    }

    const latencies = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      await waitUntil(idle, "the receiver to be idle");
      await sleep(50); // an idle receiver, as a message would usually find it
      const { message_id } = await server.call(
        "POST",
        `/terminals/${id}/inbox/messages?sender_id=${SENDER}&message=latency+${i}`,
      );
      await waitUntil(async () => (await delivered()).some((m) => m.id === message_id), `message ${message_id}`);
      // The API does not show delivered_at; the server's own database does.
      const row = db().prepare("SELECT created_at, delivered_at FROM inbox WHERE id = ?").get(message_id);
      latencies.push(Date.parse(row.delivered_at) - Date.parse(row.created_at));
    }

    await waitUntil(idle, "the receiver to be idle");
    const before = (await delivered()).length;
    const burstStart = Date.now();
    for (let i = 0; i < BURST; i++)
      await server.call("POST", `/terminals/${id}/inbox/messages?sender_id=${SENDER}&message=burst+${i}`);
    await waitUntil(async () => (await delivered()).length >= before + BURST, "the burst to be delivered", 300_000);
    const burstSeconds = (Date.now() - burstStart) / 1000;
    return {
      latency: { p50: median(latencies), p90: quantile(latencies, 0.9), samples: latencies },
      floor: { p50: median(floor), p90: quantile(floor, 0.9) },
      burst: { messages: BURST, seconds: burstSeconds, perSecond: BURST / burstSeconds },
    };
  } finally {
    connection?.close();
    server.stop();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  const f = (n) => n.toFixed(1);
  console.log(`  latencies (ms): ${r.latency.samples.join(" ")}`);
  console.log(`  burst: ${r.burst.messages} messages in ${f(r.burst.seconds)} s = ${f(r.burst.perSecond)} messages/s`);
  report(
    {
      name: "inbox delivery to an idle fast receiver, accepted → typed",
      measured: `p50 ${f(r.latency.p50)} ms, p90 ${f(r.latency.p90)} ms; burst ${f(r.burst.perSecond)} messages/s`,
      baseline: `direct POST /input round trip: p50 ${f(r.floor.p50)} ms, p90 ${f(r.floor.p90)} ms`,
      ratio: `p50 ${f(r.latency.p50 / r.floor.p50)}x`,
      target: "p50 <= 100 ms",
      pass: r.latency.p50 <= 100,
    },
    r,
  );
}
