// Runs every benchmark, each in its own Node process (no benchmark warms up or pollutes another), collects their
// RESULT lines, prints a markdown table and writes it to bench/results.md (between its bench markers, so the notes
// around the table stay). `--docs` also puts the table into docs/benchmarks.md between the same markers. Exit code 1
// if a benchmark failed to run (a missed target is reported, not an error: numbers vary by machine).
import os from "node:os";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { root } from "./lib.mjs";

const BENCHES = [
  { file: "dispatch-cost.mjs" },
  { file: "throughput.mjs" },
  { file: "throughput-contained.mjs" },
  { file: "reload-latency.mjs" },
  { file: "discovery.mjs" },
  { file: "reload-memory.mjs", nodeArgs: ["--expose-gc"] },
  { file: "npm-reload-memory.mjs", nodeArgs: ["--expose-gc"] },
  { file: "input-latency.mjs" },
  { file: "intercept-latency.mjs" },
  { file: "intercept-chain.mjs" },
  { file: "inbox-delivery.mjs" },
  { file: "startup.mjs" },
  { file: "journal-cost.mjs" },
  { file: "sse-fanout.mjs" },
  { file: "status-latency.mjs" },
  { file: "status-idle-cpu.mjs" },
  { file: "worker-throughput.mjs" },
  { file: "worker-spin-health.mjs" },
  { file: "cli-startup.mjs" },
  { file: "agent-hooks.mjs" },
  { file: "fleet.mjs" },
];

function runOne({ file, nodeArgs = [] }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(root, "bench", file)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on("close", (code) => {
      // One row per RESULT line (a benchmark may report several).
      const lines = out.split("\n").filter((l) => l.startsWith("RESULT "));
      resolve(
        code === 0 && lines.length > 0
          ? lines.map((line) => ({ file, ...JSON.parse(line.slice("RESULT ".length)) }))
          : [{ file, error: `exit code ${code}` }],
      );
    });
  });
}

const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const results = [];
// The machine's load is part of every figure: the footer says what it was, so a busy run reads as one.
const loadAtStart = os.loadavg()[0];
for (const bench of BENCHES) {
  if (only.length > 0 && !only.some((name) => bench.file.startsWith(name))) continue;
  console.log(`\n== bench/${bench.file}`);
  results.push(...(await runOne(bench)));
}

const rows = results.map((r) =>
  r.error
    ? `| ${r.file} | failed to run (${r.error}) | | | | |`
    : `| ${r.name} | ${r.measured} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.pass === null ? "" : r.pass ? "pass" : "**miss**"} |`,
);
const table = [
  `| Benchmark | Measured | Baseline (same run) | Ratio | Target | |`,
  `|---|---|---|---|---|---|`,
  ...rows,
  ``,
  `Node ${process.version}, ${process.platform}/${process.arch}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}; ` +
    `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end. Each row: \`node bench/<file>\`.`,
].join("\n");
console.log(`\n${table}`);

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";
/** Puts the table between the bench markers of `file`, keeping what is around them; `whole`: a file without the
 * markers (or no file) becomes the table alone. */
function putTable(file, { whole = false } = {}) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (!text.includes(START) || !text.includes(END)) {
    if (!whole) throw new Error(`${path.relative(root, file)} lacks the ${START} … ${END} markers`);
    fs.writeFileSync(file, `${START}\n${table}\n${END}\n`);
    return;
  }
  fs.writeFileSync(
    file,
    text.slice(0, text.indexOf(START) + START.length) + `\n${table}\n` + text.slice(text.indexOf(END)),
  );
}
putTable(path.join(root, "bench", "results.md"), { whole: true });
if (process.argv.includes("--docs")) {
  putTable(path.join(root, "docs", "benchmarks.md"));
  console.log("docs/benchmarks.md updated");
}
process.exitCode = results.some((r) => r.error) ? 1 : 0;
