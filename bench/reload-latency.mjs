// Hot-reload latency: from writing a new version of a drop-in to its new handler seeing the next event, through
// real chokidar, jiti and the registry's teardown/setup/swap. Events are dispatched every millisecond meanwhile.
// Baseline, same run and same directory: a plain chokidar watcher's time from the write to its `change` event,
// the floor any file-watching reloader starts from. Target: median <= 150 ms.
import fs from "node:fs";
import path from "node:path";
import { watch } from "chokidar";
import { fixed, isMain, loadRegistry, median, messageEvent, nowMs, quantile, report, sleep, tempHome } from "./lib.mjs";

const RELOADS = Number(process.env.BENCH_RELOADS ?? 40);

const source = (version) => `
const seen = (globalThis.__benchSeen ??= []);
export default { hooks: { message_sent() { seen.push(${version}); } } };
`;

export async function run() {
  const home = tempHome({ "live.mjs": source(0) });
  const file = path.join(home, "plugins", "live.mjs");
  const registry = await loadRegistry(home, { watch: true });
  const plain = watch(path.join(home, "plugins"), { ignoreInitial: true });
  await new Promise((resolve) => plain.once("ready", resolve));
  let plainChanged = 0;
  plain.on("change", () => (plainChanged = nowMs()));
  const seen = (globalThis.__benchSeen ??= []);

  const reloadMs = [];
  const notifyMs = [];
  for (let version = 1; version <= RELOADS; version++) {
    await sleep(80); // past chokidar's 50 ms change throttle, so the baseline sees every write
    plainChanged = 0;
    const written = nowMs();
    fs.writeFileSync(file, source(version));
    let i = 0;
    for (;;) {
      registry.dispatch(messageEvent(i++));
      await sleep(1);
      if (seen.includes(version)) break;
      if (nowMs() - written > 10_000) throw new Error(`version ${version} never took over`);
    }
    // The first event the new version handled was dispatched at most ~1 ms before it was seen.
    reloadMs.push(nowMs() - written);
    while (plainChanged === 0 && nowMs() - written < 5_000) await sleep(1);
    if (plainChanged === 0) throw new Error("plain chokidar missed a write");
    notifyMs.push(plainChanged - written);
    seen.length = 0;
  }
  await plain.close();
  await registry.teardown();

  const ours = median(reloadMs);
  const floor = median(notifyMs);
  return {
    summary: {
      name: "hot-reload latency, write → new handler sees next event",
      measured: `median ${fixed(ours, 1)} ms (p90 ${fixed(quantile(reloadMs, 0.9), 1)} ms)`,
      baseline: `plain chokidar change event: median ${fixed(floor, 1)} ms`,
      ratio: `${fixed(ours / floor)}x`,
      target: "median <= 150 ms",
      pass: ours <= 150,
    },
    details: {
      reloads: RELOADS,
      medianMs: ours,
      p90Ms: quantile(reloadMs, 0.9),
      chokidarMedianMs: floor,
      ratio: ours / floor,
    },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
