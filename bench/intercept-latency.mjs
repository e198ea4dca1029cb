// POST /terminals/:id/input latency (p50, p99) through interceptors, against the same route built without the
// interceptor check: the commit before interceptors existed, built from git into a temporary directory (cached).
// Five real `cao server` processes with a mock agent in real tmux: that baseline build, this build with 0, 1 and 10
// allow-all pre_send_message interceptors, and with 10 in worker-isolated plugins (a thread each). Requests go
// round-robin so all five see the same machine noise.
// Targets: 0 interceptors equal to the baseline within noise (p50 ratio <= 1.05); <= 0.2 ms added per interceptor at p50.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixed, isMain, quantile, report, root, startServerProcess } from "./lib.mjs";

/** The last commit without interceptors (main when this benchmark was written); BENCH_BASELINE_REF overrides. */
const BASELINE_REF = process.env.BENCH_BASELINE_REF ?? "1885567";
const SAMPLES = Number(process.env.BENCH_INTERCEPT_SAMPLES ?? 2000);
const WARMUP = 50;
const ALLOW_ALL = "export default { intercepts: { async pre_send_message() {} } };\n";
const WORKER_ALLOW_ALL = 'export default { isolation: "worker", intercepts: { async pre_send_message() {} } };\n';

/** Builds `ref` once into a temporary directory (git archive + tsc, this checkout's node_modules); returns its main.js. */
function baselineBuild(ref) {
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { cwd: root, encoding: "utf8" }).trim();
  const dir = path.join(os.tmpdir(), `cao-bench-baseline-${sha}`);
  const main = path.join(dir, "dist", "cli", "main.js");
  if (fs.existsSync(main)) return main;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    { cwd: dir, stdio: "inherit" },
  );
  return main;
}

/** Starts a server (recorded in `servers` at once, so it is stopped even if its terminal fails to start) with a terminal. */
async function start(servers, label, options) {
  const server = await startServerProcess(label, options);
  servers.push(server);
  server.terminal = (
    await server.call("POST", "/sessions?provider=mock&agent_profile=developer&session_name=bench")
  ).id;
}

async function timedInput(server, i) {
  const url = `${server.base}/terminals/${server.terminal}/input?message=bench+${i}&sender_id=0000aaaa&orchestration_type=send_message`;
  const start = process.hrtime.bigint();
  const response = await fetch(url, { method: "POST" });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${server.label}: HTTP ${response.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const interceptors = (n, source = ALLOW_ALL) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`allow-${i}.mjs`, source]));

export async function run() {
  const main = baselineBuild(BASELINE_REF);
  const env = { CAO_MOCK_DELAY_MS: "1" };
  const servers = [];
  try {
    await start(servers, "baseline", { env, main });
    for (const n of [0, 1, 10]) await start(servers, `i${n}`, { env, plugins: interceptors(n) });
    await start(servers, "w10", { env, plugins: interceptors(10, WORKER_ALLOW_ALL) });
    const active = await Promise.all(
      servers
        .slice(1)
        .map(async (s) =>
          (await s.call("GET", "/plugins"))
            .filter((p) => p.hooks.includes("pre_send_message") && p.status === "active")
            .map((p) => p.isolation),
        ),
    );
    const counts = active.map(
      (list) =>
        `${list.length}${list.includes("worker") ? ` (${list.filter((i) => i === "worker").length} in workers)` : ""}`,
    );
    if (counts.join() !== "0,1,10,10 (10 in workers)")
      throw new Error(`expected 0, 1, 10 and 10 worker interceptors, got ${counts.join(", ")}`);
    const times = servers.map(() => []);
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Rotate who goes first, so no server always follows another's work.
      for (let k = 0; k < servers.length; k++) {
        const j = (i + k) % servers.length;
        const ms = await timedInput(servers[j], i);
        if (i >= WARMUP) times[j].push(ms);
      }
    }
    const [base, i0, i1, i10, w10] = times.map((list) => ({ p50: quantile(list, 0.5), p99: quantile(list, 0.99) }));
    return {
      samples: SAMPLES,
      baselineRef: BASELINE_REF,
      base,
      i0,
      i1,
      i10,
      w10,
      perInterceptor1: i1.p50 - i0.p50,
      perInterceptor10: (i10.p50 - i0.p50) / 10,
      perWorkerInterceptor: (w10.p50 - i0.p50) / 10,
    };
  } finally {
    for (const server of servers) server.stop();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  const ms = (s) => `p50 ${fixed(s.p50, 3)} ms, p99 ${fixed(s.p99, 3)} ms`;
  report(
    {
      name: "POST /terminals/:id/input, 0 interceptors vs the build without the check",
      measured: ms(r.i0),
      baseline: `${r.baselineRef} (no interceptor code): ${ms(r.base)}`,
      ratio: `p50 ${fixed(r.i0.p50 / r.base.p50)}x, p99 ${fixed(r.i0.p99 / r.base.p99)}x`,
      target: "p50 <= 1.05x (equal within noise)",
      pass: r.i0.p50 / r.base.p50 <= 1.05,
    },
    r,
  );
  report(
    {
      name: "POST /terminals/:id/input, 1 and 10 allow-all interceptors",
      measured: `1: ${ms(r.i1)}; 10: ${ms(r.i10)}`,
      baseline: `0 interceptors: ${ms(r.i0)}`,
      ratio: `added per interceptor at p50: ${fixed(r.perInterceptor1, 3)} ms (1), ${fixed(r.perInterceptor10, 3)} ms (10)`,
      target: "<= 0.2 ms per interceptor at p50",
      pass: r.perInterceptor1 <= 0.2 && r.perInterceptor10 <= 0.2,
    },
    r,
  );
  report(
    {
      name: "POST /terminals/:id/input, 10 allow-all interceptors in worker threads",
      measured: `10 in workers: ${ms(r.w10)}`,
      baseline: `0 interceptors: ${ms(r.i0)}; 10 inline: ${ms(r.i10)}`,
      ratio: `added per worker interceptor at p50: ${fixed(r.perWorkerInterceptor, 3)} ms`,
      target: "<= 0.2 ms per interceptor at p50",
      pass: r.perWorkerInterceptor <= 0.2,
    },
    r,
  );
}
