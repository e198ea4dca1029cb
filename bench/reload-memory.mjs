// Heap after 500 hot reloads of one drop-in vs after 1, in one process (run with --expose-gc; bench/run.mjs does).
// Each reload is the real path: a new version written to disk, imported by jiti, validated, teardown(old),
// setup(new), swap. The plugin holds a 100 kB buffer per instance, so a leaked instance would show at once.
// Target: growth <= 5 MB.
import fs from "node:fs";
import path from "node:path";
import { fixed, isMain, loadRegistry, messageEvent, report, sleep, tempHome } from "./lib.mjs";

const RELOADS = Number(process.env.BENCH_RELOADS ?? 500);

const source = (version) => `
import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
const ballast = new Uint8Array(100_000).fill(${version % 251});
export default class Versioned extends CaoPlugin {
  version = ${version};
  override async setup() { (globalThis.__benchVersion = this.version); }
  @hook("message_sent") async seen() { return ballast[0]; }
}
`;

async function heapAfterGc() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

export async function run() {
  if (typeof global.gc !== "function") throw new Error("run with node --expose-gc (npm run bench does)");
  const home = tempHome({ "live.ts": source(0) });
  const file = path.join(home, "plugins", "live.ts");
  // watch: true exercises the watcher too; reloads are awaited one at a time through the version global.
  const registry = await loadRegistry(home, { watch: true });
  const reloadTo = async (version) => {
    fs.writeFileSync(file, source(version));
    const deadline = Date.now() + 10_000;
    while (globalThis.__benchVersion !== version) {
      if (Date.now() > deadline) throw new Error(`reload to version ${version} did not happen`);
      await sleep(2);
    }
    registry.dispatch(messageEvent(version));
    await registry.drain(1000);
    await sleep(55); // past chokidar's per-path change throttle before the next write
  };
  await reloadTo(1);
  const afterOne = await heapAfterGc();
  const half = Math.floor(RELOADS / 2);
  for (let version = 2; version <= half; version++) await reloadTo(version);
  const afterHalf = await heapAfterGc();
  for (let version = half + 1; version <= RELOADS; version++) await reloadTo(version);
  const afterMany = await heapAfterGc();
  await registry.teardown();
  const growthMb = (afterMany - afterOne) / 1024 / 1024;
  // Most of the growth is warm-up (compiled code, jiti's and Babel's caches); a leak would keep growing, so the
  // second half's growth is shown beside the total.
  const secondHalfMb = (afterMany - afterHalf) / 1024 / 1024;
  const mb = (bytes) => `${fixed(bytes / 1024 / 1024, 1)} MB`;
  return {
    summary: {
      name: `heap growth over ${RELOADS} hot reloads`,
      measured: `${mb(afterMany)} after ${RELOADS} reloads (growth ${fixed(growthMb, 2)} MB; last ${RELOADS - half}: ${fixed(secondHalfMb, 2)} MB)`,
      baseline: `${mb(afterOne)} after 1 reload`,
      ratio: `${fixed(afterMany / afterOne)}x`,
      target: "growth <= 5 MB",
      pass: growthMb <= 5,
    },
    details: {
      reloads: RELOADS,
      heapAfterOne: afterOne,
      heapAfterHalf: afterHalf,
      heapAfterMany: afterMany,
      growthMb,
      secondHalfMb,
    },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
