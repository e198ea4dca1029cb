// CPU the status monitor costs while agents sit idle (docs/contract.md#events asks for no tight polling): a real `cao server` child
// with 20 idle mock terminals, against the same server with none, each measured over the same window (default 60 s)
// from /proc/<pid>/stat (utime + stime of the server process). Target: <= 2% of one core added.
import { cpuSeconds, fixed, isMain, report, serverPid, sleep, startServerProcess } from "./lib.mjs";

const TERMINALS = Number(process.env.BENCH_IDLE_TERMINALS ?? 20);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
async function idleCpu(label, terminals) {
  const server = await startServerProcess(label, { env: { CAO_MOCK_DELAY_MS: "0" } });
  try {
    if (terminals > 0) {
      const first = await server.call("POST", `/sessions?provider=mock&agent_profile=developer&session_name=${label}`);
      for (let i = 1; i < terminals; i++)
        await server.call("POST", `/sessions/${first.session_name}/terminals?provider=mock&agent_profile=developer`);
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
