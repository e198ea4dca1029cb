import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PACKAGE_ROOT } from "../../../util/package-root.js";
import type { WorkerData } from "./protocol.js";

/**
 * Starts a plugin's worker thread with a V8 heap limit. From the built package the entry is worker-main.js beside
 * this file. From the TypeScript sources (the test runner imports src/), Node 20 cannot run worker-main.ts itself, so
 * a two-line bootstrap has jiti (already a dependency, and what drop-ins load through) load it: the tests then run the
 * worker code they see, never a stale build.
 */
export function startWorkerThread(data: WorkerData, heapMb: number): Worker {
  const options = { workerData: data, resourceLimits: { maxOldGenerationSizeMb: heapMb } };
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker-main.js", here), options);
  const entry = fileURLToPath(new URL("./worker-main.ts", here));
  // Its transpiled host modules are cached in the checkout's .tmp/ (git-ignored), not in jiti's default shared temp
  // dir (see docs/decisions.md on the transpile cache): each worker start then skips Babel.
  const jitiOptions = JSON.stringify({ fsCache: path.join(PACKAGE_ROOT, ".tmp", "worker-from-source") });
  const bootstrap = `require("jiti").createJiti(${JSON.stringify(entry)}, ${jitiOptions}).import(${JSON.stringify(entry)}).catch((e) => { throw e; });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
