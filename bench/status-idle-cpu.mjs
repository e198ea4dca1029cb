// CPU the status monitor costs while agents sit idle (docs/contract.md#events asks for no tight polling): a real `cao server` child
// with 20 idle mock terminals, against the same server with none, each measured over the same window (default 60 s)
// from /proc/<pid>/stat (utime + stime of the server process). Target: <= 2% of one core added.
import fs from "node:fs";
import { fixed, isMain, report, sleep, startServerProcess } from "./lib.mjs";

const TERMINALS = Number(process.env.BENCH_IDLE_TERMINALS ?? 20);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function serverPid(server) {
  // startServerProcess does not expose the child: find the process listening on its port through /proc.
  const port = new URL(server.base).port;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (environ.includes(`CAO_API_PORT=${port}\0`) && fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("server")) return Number(entry);
    } catch {}
  }
  throw new Error(`no process found for the server on port ${port}`);
}

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
}

async function idleCpu(label, terminals) {
  const server = await startServerProcess(label, { env: { CAO_MOCK_DELAY_MS: "0" } });
  try {
    if (terminals > 0) {
      const first = await server.call("POST", `/sessions?provider=mock&agent_profile=developer&session_name=${label}`);
      for (let i = 1; i < terminals; i++) await server.call("POST", `/sessions/${first.session_name}/terminals?provider=mock&agent_profile=developer`);
    }
    await sleep(3000); // start-up and creation settle
    const pid = serverPid(server);
    const before = cpuSeconds(pid);
    const start = Date.now();
    await sleep(SECONDS * 1000);
    const used = cpuSeconds(pid) - before;
    return (used / ((Date.now() - start) / 1000)) * 100;
  } finally {
    server.stop();
  }
}

export async function run() {
  const none = await idleCpu("idle-none", 0);
  const fleet = await idleCpu("idle-fleet", TERMINALS);
  return { none, fleet, added: fleet - none, terminals: TERMINALS, seconds: SECONDS };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(
    {
      name: `server CPU, ${r.terminals} idle mock terminals over ${r.seconds} s`,
      measured: `${fixed(r.fleet)}% of one core`,
      baseline: `no terminals: ${fixed(r.none)}% of one core`,
      ratio: `+${fixed(r.added)} points`,
      target: "<= 2% of one core added",
      pass: r.added <= 2,
    },
    r,
  );
}
