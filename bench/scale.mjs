// A session with many terminals (mock agents, real tmux, a real `cao server` child): for 10 and for 100 terminals,
// the time of the last create against the first, GET /sessions/:name, the server's idle CPU (share of one core over
// BENCH_SCALE_IDLE_S seconds, from /proc) and RSS, POST /terminals/:id/input p99 and the session's DELETE (GET
// /health interleaved with the GETs, for what any request costs on the machine at the time) — then 100
// terminals created 8 at a time, counting failures (a 503 is tmux not answering in time). Targets at 100: GET <= 50
// ms, last create <= 1.3x the first, idle CPU <= 3% of a core, no failed create.
//   node bench/scale.mjs           BENCH_SCALE_SIZES=10,100  BENCH_SCALE_IDLE_S=10
import fs from "node:fs";
import {
  cpuSeconds,
  fixed,
  isMain,
  median,
  nowMs,
  quantile,
  report,
  serverPid,
  sleep,
  startServerProcess,
} from "./lib.mjs";

const SIZES = (process.env.BENCH_SCALE_SIZES ?? "10,100").split(",").map(Number);
const IDLE_S = Number(process.env.BENCH_SCALE_IDLE_S ?? 10);
function rssMb(pid) {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function timed(call) {
  const start = nowMs();
  const value = await call();
  return [nowMs() - start, value];
}

async function oneSize(size) {
  const server = await startServerProcess(`scale-${size}`, { env: { CAO_MOCK_DELAY_MS: "50" } });
  try {
    const creates = [];
    const [first, terminal] = await timed(() =>
      server.call("POST", `/sessions?provider=mock&agent_profile=developer&session_name=scale${size}`),
    );
    creates.push(first);
    const session = terminal.session_name;
    for (let i = 1; i < size; i++)
      creates.push(
        (
          await timed(() => server.call("POST", `/sessions/${session}/terminals?provider=mock&agent_profile=developer`))
        )[0],
      );
    await sleep(2000);
    // GET /health on the same server, interleaved: what any request costs on this machine right now, so a loaded
    // machine's GET /sessions/:name reads against it rather than against the target alone.
    const gets = [];
    const healths = [];
    for (let i = 0; i < 20; i++) {
      gets.push((await timed(() => server.call("GET", `/sessions/${session}`)))[0]);
      healths.push((await timed(() => server.call("GET", "/health")))[0]);
    }
    const pid = serverPid(server);
    const before = cpuSeconds(pid);
    const start = Date.now();
    await sleep(IDLE_S * 1000);
    const cpu = ((cpuSeconds(pid) - before) / ((Date.now() - start) / 1000)) * 100;
    const rss = rssMb(pid);
    const inputs = [];
    for (let i = 0; i < 100; i++)
      inputs.push((await timed(() => server.call("POST", `/terminals/${terminal.id}/input?message=scale+${i}`)))[0]);
    // Deleting the session is timed and reported, not fatal: a 503 here (tmux killing every window past
    // CAO_TMUX_TIMEOUT_MS on a loaded machine) would otherwise hide the figures above.
    const [deleteMs, deleted] = await timed(() =>
      server.call("DELETE", `/sessions/${session}`).then(
        () => "ok",
        (error) => error.message,
      ),
    );
    return {
      deleteMs,
      deleted,
      size,
      first: creates[0],
      last: creates.at(-1),
      get: median(gets),
      health: median(healths),
      cpu,
      rss,
      inputP99: quantile(inputs, 0.99),
    };
  } finally {
    server.stop();
  }
}

async function concurrentCreates(total, parallel) {
  const server = await startServerProcess("scale-parallel", { env: { CAO_MOCK_DELAY_MS: "50" } });
  try {
    const terminal = await server.call("POST", "/sessions?provider=mock&agent_profile=developer&session_name=parallel");
    let next = 1;
    const failures = [];
    const worker = async () => {
      while (next < total) {
        next++;
        try {
          await server.call(
            "POST",
            `/sessions/${terminal.session_name}/terminals?provider=mock&agent_profile=developer`,
          );
        } catch (error) {
          failures.push(error.message);
        }
      }
    };
    const [ms] = await timed(() => Promise.all(Array.from({ length: parallel }, worker)));
    await server.call("DELETE", `/sessions/${terminal.session_name}`).catch(() => undefined);
    return { ms, failures };
  } finally {
    server.stop();
  }
}

export async function run() {
  const results = [];
  for (const size of SIZES) {
    const r = await oneSize(size);
    results.push(r);
    console.log(
      `${size} terminals: first create ${fixed(r.first, 0)} ms, last ${fixed(r.last, 0)} ms (${fixed(r.last / r.first)}x); GET /sessions/:name ${fixed(r.get, 1)} ms (GET /health ${fixed(r.health, 1)} ms); idle CPU ${fixed(r.cpu, 1)}% of a core; RSS ${fixed(r.rss, 0)} MB; input p99 ${fixed(r.inputP99, 1)} ms; DELETE ${fixed(r.deleteMs, 0)} ms${r.deleted === "ok" ? "" : ` (failed: ${r.deleted})`}`,
    );
  }
  const big = results.at(-1);
  report(
    {
      name: `${big.size} terminals: GET /sessions/:name`,
      measured: `${fixed(big.get, 1)} ms`,
      baseline: `${fixed(results[0].get, 1)} ms at ${results[0].size}; GET /health, same server: ${fixed(big.health, 1)} ms`,
      ratio: `${fixed(big.get / results[0].get)}x`,
      target: "<= 50 ms",
      pass: big.get <= 50,
    },
    { results },
  );
  report({
    name: `${big.size} terminals: last create vs first`,
    measured: `${fixed(big.last, 0)} ms`,
    baseline: `${fixed(big.first, 0)} ms (first)`,
    ratio: `${fixed(big.last / big.first)}x`,
    target: "<= 1.3x",
    pass: big.last / big.first <= 1.3,
  });
  report({
    name: `${big.size} idle terminals: server CPU`,
    measured: `${fixed(big.cpu, 1)}% of a core`,
    baseline: `${fixed(results[0].cpu, 1)}% at ${results[0].size}`,
    ratio: "",
    target: "<= 3%",
    pass: big.cpu <= 3,
  });
  const parallel = await concurrentCreates(100, 8);
  console.log(
    `100 terminals created 8 at a time: ${fixed(parallel.ms / 1000, 1)} s, ${parallel.failures.length} failed${parallel.failures.length ? `: ${parallel.failures[0]}` : ""}`,
  );
  report({
    name: "100 terminals created 8 at a time",
    measured: `${parallel.failures.length} failed in ${fixed(parallel.ms / 1000, 1)} s`,
    baseline: "",
    ratio: "",
    target: "0 failed",
    pass: parallel.failures.length === 0,
  });
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
