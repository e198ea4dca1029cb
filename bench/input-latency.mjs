// POST /terminals/:id/input latency, p50 and p99: a server with no plugins (baseline) vs one with 10 plugins whose
// message_sent hooks hang, throw or run slow. Both are real `cao server` processes with a mock agent in real tmux;
// requests alternate between them so both see the same machine noise. Target: p99 ratio <= 1.05.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, isMain, report, root } from "./lib.mjs";

const SAMPLES = Number(process.env.BENCH_INPUT_SAMPLES ?? 4000);
const BLOCK = 800; // p99 ratios per block of this many samples show the run-to-run spread
const WARMUP = 30;

const HOSTILE = {
  hang: "export default { hooks: { message_sent() { return new Promise(() => {}); } } };",
  throws: 'export default { hooks: { message_sent() { throw new Error("hostile plugin"); } } };',
  slow: "export default { hooks: { async message_sent() { await new Promise((r) => setTimeout(r, 50)); } } };",
};
const PLUGIN_MIX = ["hang", "hang", "hang", "hang", "throws", "throws", "throws", "slow", "slow", "slow"];

async function startServer(label, plugins) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `cao-bench-${label}-`));
  fs.mkdirSync(path.join(home, "plugins"));
  plugins.forEach((kind, i) => fs.writeFileSync(path.join(home, "plugins", `${kind}-${i}.mjs`), HOSTILE[kind]));
  const port = await freePort();
  const socket = `cao-bench-${label}-${process.pid}`;
  const child = spawn(process.execPath, [path.join(root, "dist/cli/main.js"), "server", "--no-watch"], {
    env: {
      ...process.env,
      CAO_HOME: home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: socket,
      CAO_MOCK_DELAY_MS: "1",
      CAO_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 200) throw new Error(`${label} server did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const plugins_ = await (await fetch(`${base}/plugins`)).json();
  const created = await (
    await fetch(`${base}/sessions?provider=mock&agent_profile=developer&session_name=bench`, { method: "POST" })
  ).json();
  return {
    label,
    base,
    terminal: created.id,
    active: plugins_.filter((p) => p.status === "active").length,
    stop: () => {
      child.kill("SIGKILL");
      try {
        execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
      } catch {}
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

async function timedInput(server, i) {
  const url = `${server.base}/terminals/${server.terminal}/input?message=bench+${i}&sender_id=0000aaaa&orchestration_type=send_message`;
  const start = process.hrtime.bigint();
  const response = await fetch(url, { method: "POST" });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${server.label}: HTTP ${response.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function run() {
  const baseline = await startServer("plain", []);
  const hostile = await startServer("hostile", PLUGIN_MIX);
  try {
    if (hostile.active !== 10) throw new Error(`expected 10 active plugins, got ${hostile.active}`);
    const times = { plain: [], hostile: [] };
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Alternate which server goes first, so neither always follows the other's work.
      const order = i % 2 === 0 ? [baseline, hostile] : [hostile, baseline];
      for (const server of order) {
        const ms = await timedInput(server, i);
        if (i >= WARMUP) times[server.label].push(ms);
      }
    }
    const stats = (list) => {
      const sorted = [...list].sort((a, b) => a - b);
      return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
    };
    const plain = stats(times.plain);
    const host = stats(times.hostile);
    const blockRatios = [];
    for (let start = 0; start + BLOCK <= SAMPLES; start += BLOCK) {
      blockRatios.push(
        stats(times.hostile.slice(start, start + BLOCK)).p99 / stats(times.plain.slice(start, start + BLOCK)).p99,
      );
    }
    return {
      samples: SAMPLES,
      plain,
      hostile: host,
      p50Ratio: host.p50 / plain.p50,
      p99Ratio: host.p99 / plain.p99,
      blockRatios,
    };
  } finally {
    baseline.stop();
    hostile.stop();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  const f = (n) => n.toFixed(2);
  console.log(`  p99 ratio per block of ${BLOCK}: ${r.blockRatios.map(f).join(" ")} (machine noise)`);
  report(
    {
      name: "POST /terminals/:id/input latency, 10 hostile plugins",
      measured: `p50 ${f(r.hostile.p50)} ms, p99 ${f(r.hostile.p99)} ms`,
      baseline: `no plugins: p50 ${f(r.plain.p50)} ms, p99 ${f(r.plain.p99)} ms`,
      ratio: `p50 ${f(r.p50Ratio)}x, p99 ${f(r.p99Ratio)}x`,
      target: "p99 <= 1.05x",
      pass: r.p99Ratio <= 1.05,
    },
    r,
  );
}
