// A plugin in a worker thread (docs/contract.md#plugin-api) against the same plugin inline, in the same process, alternating rounds:
// (1) delivered throughput, handler calls per second with one plugin whose async message_sent handler does nothing,
// 5,000 events dispatched at once and drained; (2) added latency per event, dispatch() of one event until drain()
// resolves (the handler has settled), one event at a time. Each event crosses to the worker as a structured clone of
// its toJSON() and back comes the handler's answer, so a worker plugin pays a message round trip per handler call.
// Reference rows (no target): what isolation costs, to be weighed against what it buys.
import { fixed, isMain, loadRegistry, median, messageEvent, nowMs, quantile, report, tempHome } from "./lib.mjs";

const EVENTS = 5000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
const PLUGIN = (isolation) => `export default { isolation: "${isolation}", hooks: { async message_sent() {} } };`;

export async function run() {
  const inline = await loadRegistry(tempHome({ "p.mjs": PLUGIN("inline") }), { queueLimit: EVENTS * 2 });
  const worker = await loadRegistry(tempHome({ "p.mjs": PLUGIN("worker") }), { queueLimit: EVENTS * 2 });
  if (worker.list()[0]?.isolation !== "worker" || worker.list()[0]?.status !== "active")
    throw new Error(`worker plugin not active: ${JSON.stringify(worker.list())}`);
  const events = Array.from({ length: EVENTS }, (_, i) => messageEvent(i));
  const registries = { inline, worker };

  const rates = { inline: [], worker: [] };
  for (let round = 0; round < ROUNDS + 2; round++) {
    for (const name of round % 2 === 0 ? ["inline", "worker"] : ["worker", "inline"]) {
      const registry = registries[name];
      const start = nowMs();
      for (let i = 0; i < EVENTS; i++) registry.dispatch(events[i]);
      if (!(await registry.drain(120_000))) throw new Error(`${name} did not drain`);
      if (round >= 2) rates[name].push(EVENTS / ((nowMs() - start) / 1000));
    }
  }

  const latency = { inline: [], worker: [] };
  for (let i = 0; i < LATENCY_SAMPLES + 100; i++) {
    for (const name of i % 2 === 0 ? ["inline", "worker"] : ["worker", "inline"]) {
      const registry = registries[name];
      const start = nowMs();
      registry.dispatch(events[i % EVENTS]);
      await registry.drain(10_000);
      if (i >= 100) latency[name].push((nowMs() - start) * 1000);
    }
  }
  for (const [name, registry] of Object.entries(registries)) {
    const { delivered, failed, timedOut } = registry.stats().p;
    if (failed || timedOut) throw new Error(`${name}: ${failed} failed, ${timedOut} timed out`);
    if (delivered !== EVENTS * (ROUNDS + 2) + LATENCY_SAMPLES + 100) throw new Error(`${name}: ${delivered} delivered`);
    await registry.teardown();
  }
  const throughput = { inline: median(rates.inline), worker: median(rates.worker) };
  const lat = {
    inline: { p50: median(latency.inline), p99: quantile(latency.inline, 0.99) },
    worker: { p50: median(latency.worker), p99: quantile(latency.worker, 0.99) },
  };
  const k = (rate) => `${fixed(rate / 1000, 1)} k calls/s`;
  const us = (v) => `${fixed(v, 0)} µs`;
  return [
    {
      summary: {
        name: "worker plugin throughput, 1 plugin, no-op async handler",
        measured: k(throughput.worker),
        baseline: `same plugin inline: ${k(throughput.inline)}`,
        ratio: `${fixed(throughput.worker / throughput.inline, 3)}x`,
        target: "reference",
        pass: null,
      },
      details: { throughput, rounds: ROUNDS, events: EVENTS },
    },
    {
      summary: {
        name: "worker plugin latency per event, dispatch → handler settled (p50 / p99)",
        measured: `${us(lat.worker.p50)} / ${us(lat.worker.p99)} (added p50: ${us(lat.worker.p50 - lat.inline.p50)})`,
        baseline: `same plugin inline: ${us(lat.inline.p50)} / ${us(lat.inline.p99)}`,
        ratio: `${fixed(lat.worker.p50 / lat.inline.p50)}x (p50)`,
        target: "reference",
        pass: null,
      },
      details: { latency: lat, samples: LATENCY_SAMPLES },
    },
  ];
}

if (isMain(import.meta.url)) {
  for (const { summary, details } of await run()) report(summary, details);
}
