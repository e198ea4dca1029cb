// Caller cost of registry.dispatch() with 10 subscribed plugins, against Node's EventEmitter.emit with 10
// listeners, measured in alternating rounds of the same process. Only the caller's time is timed: delivery happens
// after dispatch() returns (the registry drains between rounds, untimed). Target: <= 2x.
import { EventEmitter } from "node:events";
import { fixed, isMain, loadRegistry, median, messageEvent, nowMs, report, tempHome } from "./lib.mjs";

const PLUGINS = 10;
const BATCH = 2000; // well under the queue limit, so no event is dropped
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);

export async function run() {
  const files = {};
  for (let i = 0; i < PLUGINS; i++) files[`p${i}.mjs`] = "export default { hooks: { async message_sent() {} } };";
  const registry = await loadRegistry(tempHome(files));
  const emitter = new EventEmitter();
  for (let i = 0; i < PLUGINS; i++) emitter.on("message_sent", async () => {});
  const events = Array.from({ length: BATCH }, (_, i) => messageEvent(i));

  const timeDispatch = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) registry.dispatch(events[i]);
    return ((nowMs() - start) * 1e6) / BATCH;
  };
  const timeEmit = () => {
    const start = nowMs();
    for (let i = 0; i < BATCH; i++) emitter.emit("message_sent", events[i]);
    return ((nowMs() - start) * 1e6) / BATCH;
  };

  const ours = [];
  const theirs = [];
  for (let round = 0; round < ROUNDS + 5; round++) {
    const a = round % 2 === 0 ? timeDispatch() : timeEmit();
    const b = round % 2 === 0 ? timeEmit() : timeDispatch();
    const [d, e] = round % 2 === 0 ? [a, b] : [b, a];
    if (!(await registry.drain(10_000))) throw new Error("plugins did not drain");
    await new Promise((resolve) => setImmediate(resolve)); // let the emitter's handler promises settle too
    if (round >= 5) {
      ours.push(d);
      theirs.push(e);
    }
  }
  const stats = registry.stats();
  const delivered = Object.values(stats).reduce((sum, s) => sum + s.delivered, 0);
  if (delivered !== PLUGINS * BATCH * (ROUNDS + 5)) throw new Error(`expected every event delivered, got ${delivered}`);
  await registry.teardown();
  const dispatchNs = median(ours);
  const emitNs = median(theirs);
  const ratio = dispatchNs / emitNs;
  return {
    summary: {
      name: "dispatch() caller cost, 10 plugins",
      measured: `${fixed(dispatchNs, 0)} ns/event`,
      baseline: `EventEmitter.emit, 10 listeners: ${fixed(emitNs, 0)} ns/event`,
      ratio: `${fixed(ratio)}x`,
      target: "<= 2x",
      pass: ratio <= 2,
    },
    details: { dispatchNs, emitNs, ratio, rounds: ROUNDS, batch: BATCH },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
