// The interceptor chain alone, in process: registry.intercept(op) with 1 and 10 allow-all pre_send_message
// interceptors (async, as plugins write them), and with 10 in worker-isolated plugins (one worker thread each: a
// message round trip per interceptor), against the same call with none. No HTTP, tmux or agent: what each
// interceptor adds, without the machine noise of a full request (bench/intercept-latency.mjs measures that).
// Target: <= 0.2 ms added per interceptor at p50 (inline; the worker row is reported against it, no target).
import { fixed, isMain, loadRegistry, quantile, report, tempHome } from "./lib.mjs";

const WORKER_ALLOW_ALL = 'export default { isolation: "worker", intercepts: { async pre_send_message() {} } };\n';

const CALLS = Number(process.env.BENCH_CHAIN_CALLS ?? 20000);
const op = (i) => ({
  point: "pre_send_message",
  sessionId: "cao-bench",
  sender: "0000aaaa",
  receiver: "1111bbbb",
  message: `m${i}`,
  orchestrationType: "send_message",
});

async function registryWith(n) {
  const registry = await loadRegistry(tempHome());
  for (let i = 0; i < n; i++) await registry.add(`allow-${i}`, { intercepts: { async pre_send_message() {} } });
  return registry;
}

/** n drop-ins that each run their allow-all interceptor in a worker thread of their own. */
async function registryWithWorkers(n) {
  const files = Object.fromEntries(Array.from({ length: n }, (_, i) => [`allow-${i}.mjs`, WORKER_ALLOW_ALL]));
  const registry = await loadRegistry(tempHome(files));
  const inWorkers = registry.list().filter((p) => p.status === "active" && p.isolation === "worker").length;
  if (inWorkers !== n)
    throw new Error(`expected ${n} worker plugins, got ${inWorkers}: ${JSON.stringify(registry.list())}`);
  return registry;
}

/** Per-call times (ms) of `intercept` on each registry, interleaved call by call so all see the same noise. */
async function measure(registries) {
  const times = registries.map(() => []);
  for (let i = 0; i < CALLS; i++) {
    for (let j = 0; j < registries.length; j++) {
      const start = process.hrtime.bigint();
      const verdict = await registries[j].intercept(op(i));
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (verdict.denied) throw new Error("an allow-all chain denied");
      if (i >= 1000) times[j].push(ms);
    }
  }
  return times;
}

export async function run() {
  const registries = [
    await registryWith(0),
    await registryWith(1),
    await registryWith(10),
    await registryWithWorkers(10),
  ];
  try {
    const [none, one, ten, workers10] = (await measure(registries)).map((t) => quantile(t, 0.5));
    return {
      calls: CALLS,
      none,
      one,
      ten,
      workers10,
      perInterceptor1: one - none,
      perInterceptor10: (ten - none) / 10,
      perWorkerInterceptor: (workers10 - none) / 10,
    };
  } finally {
    for (const registry of registries) await registry.teardown();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  const us = (ms) => `${fixed(ms * 1000, 1)} µs`;
  report(
    {
      name: "Interceptor chain, in process: 1 and 10 allow-all interceptors",
      measured: `p50 per call: ${us(r.one)} (1), ${us(r.ten)} (10)`,
      baseline: `no interceptor: ${us(r.none)}`,
      ratio: `added per interceptor at p50: ${us(r.perInterceptor1)} (1), ${us(r.perInterceptor10)} (10)`,
      target: "<= 0.2 ms per interceptor at p50",
      pass: r.perInterceptor1 <= 0.2 && r.perInterceptor10 <= 0.2,
    },
    r,
  );
  report(
    {
      name: "Interceptor chain, in process: 10 allow-all interceptors in worker threads",
      measured: `p50 per call: ${us(r.workers10)} (10 in workers)`,
      baseline: `10 inline: ${us(r.ten)}; none: ${us(r.none)}`,
      ratio: `added per worker interceptor at p50: ${us(r.perWorkerInterceptor)} (${fixed(r.perWorkerInterceptor / Math.max(r.perInterceptor10, 1e-9), 0)}x an inline one)`,
      target: "reported (a message round trip per call); <= 0.2 ms per interceptor",
      pass: r.perWorkerInterceptor <= 0.2,
    },
    r,
  );
}
