// npm discovery over a synthetic node_modules of 5,000 packages (a fifth of them scoped, 1% tagged cao-plugin),
// through the registry's own discoverNpmPlugins (fast-glob, only package.json files read). Baseline, same run:
// the simplest correct scan by hand, readdirSync over the tree and JSON.parse of every package.json.
// Target: <= 150 ms.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fixed, isMain, median, nowMs, report, root } from "./lib.mjs";

const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const { discoverNpmPlugins } = await import(pathToFileURL(path.join(root, "dist/plugins/host/discovery/npm.js")).href);

function makeNodeModules() {
  const nodeModules = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-npm-")), "node_modules");
  process.once("exit", () => fs.rmSync(path.dirname(nodeModules), { recursive: true, force: true }));
  let tagged = 0;
  for (let i = 0; i < PACKAGES; i++) {
    const name = i % 5 === 0 ? `@scope${i % 50}/pkg-${i}` : `pkg-${i}`;
    const dir = path.join(nodeModules, ...name.split("/"));
    fs.mkdirSync(dir, { recursive: true });
    const isPlugin = i % 100 === 0;
    if (isPlugin) tagged++;
    const manifest = {
      name,
      version: "1.0.0",
      description: "a package of ordinary size, with the usual fields ".repeat(3),
      keywords: isPlugin ? ["cao-plugin", "agents"] : ["util", "helper"],
      main: "index.js",
      dependencies: { lodash: "^4.17.21", chalk: "^5.0.0" },
      scripts: { test: "node test.js" },
    };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(dir, "index.js"), "export default {};\n");
  }
  return { nodeModules, tagged };
}

/** What anyone would write first: walk the directory, parse every manifest, keep the tagged ones. */
function naiveScan(nodeModules) {
  const found = [];
  const visit = (dir) => {
    const manifest = path.join(dir, "package.json");
    const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
    if (Array.isArray(pkg.keywords) && pkg.keywords.includes("cao-plugin")) found.push(pkg.name);
  };
  for (const entry of fs.readdirSync(nodeModules, { withFileTypes: true })) {
    const full = path.join(nodeModules, entry.name);
    if (entry.name.startsWith("@")) for (const inner of fs.readdirSync(full)) visit(path.join(full, inner));
    else visit(full);
  }
  return found;
}

export async function run() {
  const { nodeModules, tagged } = makeNodeModules();
  const ours = [];
  const naive = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    let start = nowMs();
    const result = discoverNpmPlugins([nodeModules]);
    const a = nowMs() - start;
    start = nowMs();
    const found = naiveScan(nodeModules);
    const b = nowMs() - start;
    if (result.sources.length !== tagged || found.length !== tagged) {
      throw new Error(
        `expected ${tagged} plugins, found ${result.sources.length} (registry) and ${found.length} (naive)`,
      );
    }
    if (round >= 2) {
      ours.push(a);
      naive.push(b);
    }
  }
  const ms = median(ours);
  const baseline = median(naive);
  return {
    summary: {
      name: `npm discovery, ${PACKAGES} packages`,
      measured: `median ${fixed(ms, 1)} ms (${tagged} plugins found)`,
      baseline: `readdir walk parsing every package.json: median ${fixed(baseline, 1)} ms`,
      ratio: `${fixed(ms / baseline)}x`,
      target: "<= 150 ms",
      pass: ms <= 150,
    },
    details: { packages: PACKAGES, tagged, medianMs: ms, naiveMedianMs: baseline, ratio: ms / baseline },
  };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
