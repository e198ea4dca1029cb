// Heap growth per reload of an npm plugin (POST /plugins/:name/reload → registry.reload), against the same plugin as
// a drop-in reloaded the same way, in one process (run with --expose-gc; bench/run.mjs does).
// A compiled npm package is imported natively, and Node never forgets an ES module: each reload imports the
// package's files under a new query string, so every version stays in memory for the life of the process. Its
// module-level data shows it: the plugin holds a 100 kB buffer at module level. Drop-ins go through jiti with its
// module cache off, so an old version is garbage once torn down. No target: the figure documents the cost.
import fs from "node:fs";
import path from "node:path";
import { fixed, isMain, loadRegistry, report, sleep, tempHome } from "./lib.mjs";

const RELOADS = Number(process.env.BENCH_RELOADS ?? 100);
const BALLAST_BYTES = 100_000;

const entry = `
import { BALLAST } from "./lib/ballast.js";
export default { hooks: { message_sent() { return BALLAST[0]; } } };
`;
const ballast = `export const BALLAST = new Uint8Array(${BALLAST_BYTES}).fill(7);\n`;

async function heapAfterGc() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

/** Bytes retained per reload of plugin `name`, measured over RELOADS reloads after a warm-up of 5. */
async function growthPerReload(registry, name) {
  for (let i = 0; i < 5; i++) await registry.reload(name);
  const before = await heapAfterGc();
  for (let i = 0; i < RELOADS; i++) await registry.reload(name);
  const after = await heapAfterGc();
  return (after - before) / RELOADS;
}

export async function run() {
  if (typeof global.gc !== "function") throw new Error("run with node --expose-gc (npm run bench does)");
  const home = tempHome();
  const pkg = path.join(home, "node_modules", "cao-plugin-ballast");
  fs.mkdirSync(path.join(pkg, "lib"), { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({
      name: "cao-plugin-ballast",
      version: "1.0.0",
      type: "module",
      main: "index.js",
      keywords: ["cao-plugin"],
    }),
  );
  fs.writeFileSync(path.join(pkg, "index.js"), entry);
  fs.writeFileSync(path.join(pkg, "lib", "ballast.js"), ballast);
  const dropIn = path.join(home, "plugins", "dropin");
  fs.mkdirSync(path.join(dropIn, "lib"), { recursive: true });
  fs.writeFileSync(path.join(dropIn, "index.ts"), entry);
  fs.writeFileSync(path.join(dropIn, "lib", "ballast.ts"), ballast);
  const registry = await loadRegistry(home);
  const statuses = registry
    .list()
    .map((p) => `${p.name}:${p.status}`)
    .sort();
  if (statuses.join() !== "cao-plugin-ballast:active,dropin:active")
    throw new Error(`unexpected plugins: ${statuses.join(", ")}`);
  const npm = await growthPerReload(registry, "cao-plugin-ballast");
  const dir = await growthPerReload(registry, "dropin");
  await registry.teardown();
  const kb = (bytes) => `${fixed(bytes / 1024, 1)} kB`;
  return {
    summary: {
      name: `memory kept per reload of an npm plugin (module data ${BALLAST_BYTES / 1000} kB, ${RELOADS} reloads)`,
      measured: `${kb(npm)} per reload (npm package, native ESM, new query string)`,
      baseline: `${kb(dir)} per reload (same plugin as a drop-in, jiti)`,
      ratio: `${fixed(npm / Math.max(dir, 1), 1)}x`,
      target: "none (documents the cost)",
      pass: null,
    },
    details: { reloads: RELOADS, ballastBytes: BALLAST_BYTES, npmBytesPerReload: npm, dropInBytesPerReload: dir },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
