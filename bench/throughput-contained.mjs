// bench/throughput.mjs with the registry as `cao server` runs it: plugin containment on (guardUncaughtExceptions),
// so each plugin's code runs inside AsyncLocalStorage. On Node 20 that puts a hook on every promise of the process,
// the registry's and the baselines' alike (same process), so the ratio stays comparable while the absolute rate
// shows what attribution costs against the plain row. Target: the same, >= 2x the faster baseline.
import { isMain, report } from "./lib.mjs";
import { run as runThroughput } from "./throughput.mjs";

export async function run() {
  const { summary, details } = await runThroughput({ registryOptions: { guardUncaughtExceptions: true } });
  return { summary: { ...summary, name: `${summary.name}, containment on (as under cao server)` }, details };
}

if (isMain(import.meta.url)) {
  const { summary, details } = await run();
  report(summary, details);
}
