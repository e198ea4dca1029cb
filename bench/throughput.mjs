// Delivered throughput: handler calls per second with no-op async handlers in 10 plugins. CAO's registry runs
// with everything on: per-plugin ordering (each handler awaited before the next event), isolation (one queue
// per plugin, frozen events) and per-handler timeouts. The baselines, in the same process, are hookable's
// callHookParallel and emittery's emit with 10 async listeners, each used at its fastest: every event emitted
// at once and the returned promises awaited together (no ordering, no timeouts). Target: >= 2x the faster one.
import Emittery from "emittery";
import { createHooks } from "hookable";
import { fixed, isMain, loadRegistry, median, messageEvent, nowMs, report, tempHome } from "./lib.mjs";

const PLUGINS = 10;
const EVENTS = 5000; // per round: 50,000 handler calls
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

/** `registryOptions` go to the registry (bench/throughput-contained.mjs turns containment on). */
export async function run({ registryOptions = {} } = {}) {
  const files = {};
  for (let i = 0; i < PLUGINS; i++) files[`p${i}.mjs`] = "export default { hooks: { async message_sent() {} } };";
  const registry = await loadRegistry(tempHome(files), {
    handlerTimeoutMs: 10_000,
    queueLimit: EVENTS * 2,
    ...registryOptions,
  });
  const hooks = createHooks();
  const emittery = new Emittery();
  for (let i = 0; i < PLUGINS; i++) {
    hooks.hook("message_sent", async () => {});
    emittery.on("message_sent", async () => {});
  }
  const events = Array.from({ length: EVENTS }, (_, i) => messageEvent(i));
  const calls = EVENTS * PLUGINS;

  const contenders = {
    cao: async () => {
      for (let i = 0; i < EVENTS; i++) registry.dispatch(events[i]);
      if (!(await registry.drain(60_000))) throw new Error("plugins did not drain");
    },
    hookable: async () => {
      const pending = new Array(EVENTS);
      for (let i = 0; i < EVENTS; i++) pending[i] = hooks.callHookParallel("message_sent", events[i]);
      await Promise.all(pending);
    },
    emittery: async () => {
      const pending = new Array(EVENTS);
      for (let i = 0; i < EVENTS; i++) pending[i] = emittery.emit("message_sent", events[i]);
      await Promise.all(pending);
    },
  };
  const rates = { cao: [], hookable: [], emittery: [] };
  const names = Object.keys(contenders);
  for (let round = 0; round < ROUNDS + 3; round++) {
    // Rotate the order so no contender always runs right after another's garbage.
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      const start = nowMs();
      await contenders[name]();
      const seconds = (nowMs() - start) / 1000;
      if (round >= 3) rates[name].push(calls / seconds);
    }
  }
  const delivered = Object.values(registry.stats()).reduce((sum, s) => sum + s.delivered, 0);
  if (delivered !== calls * (ROUNDS + 3))
    throw new Error(`expected ${calls * (ROUNDS + 3)} deliveries, got ${delivered}`);
  await registry.teardown();

  const cao = median(rates.cao);
  const hookable = median(rates.hookable);
  const emitteryRate = median(rates.emittery);
  const best = Math.max(hookable, emitteryRate);
  const bestName = best === hookable ? "hookable callHookParallel" : "emittery emit";
  const ratio = cao / best;
  const m = (rate) => `${fixed(rate / 1e6)} M calls/s`;
  return {
    summary: {
      name: "delivered throughput, 10 plugins, no-op async handlers",
      measured: m(cao),
      baseline: `${bestName}: ${m(best)} (hookable ${m(hookable)}, emittery ${m(emitteryRate)})`,
      ratio: `${fixed(ratio)}x`,
      target: ">= 2x the faster",
      pass: ratio >= 2,
    },
    details: { cao, hookable, emittery: emitteryRate, ratio, events: EVENTS, plugins: PLUGINS, rounds: ROUNDS },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
