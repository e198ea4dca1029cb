// Start-up time of `cao server`, as users run it: from spawning `node dist/cli/main.js server` to the first 200 on
// GET /health, median of BENCH_RUNS runs (default 5). Two rows:
//   1. 0 drop-ins, against bare Node (`node -e "require('http').createServer(…).listen(port)"`) measured the same way;
//   2. 300 trivial drop-ins (a mix of .ts/.js/.mjs, class and definePlugin; a fresh CAO_HOME per run, so nothing is
//      cached), against the 0-drop-in start of the same runs. Target: <= 5000 ms.
//   3. the same 300 drop-ins restarted on the same CAO_HOME: the transpile cache (CAO_HOME/cache/plugins) is warm.
// The runs interleave the three kinds so a busy moment of the machine hits all of them alike.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fixed, freePort, isMain, median, nowMs, root } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DROP_INS = Number(process.env.BENCH_DROP_INS ?? 300);
const TARGET_MS = 5000;

/** A trivial drop-in of each style a user may write, cycled. */
const KINDS = [
  ["js", (i) => `export default { hooks: { message_sent(e) { return e.message.length; } } };\n`],
  [
    "ts",
    (i) => `import { CaoPlugin, hook, type MessageSentEvent } from "cli-agent-orchestrator/plugins";
export default class P${i} extends CaoPlugin {
  @hook("message_sent") async seen(e: MessageSentEvent) { return e.message.length; }
}\n`,
  ],
  [
    "mjs",
    (i) =>
      `import { CaoPlugin } from "cli-agent-orchestrator/plugins";\nexport default class P${i} extends CaoPlugin { async setup() {} }\n`,
  ],
  [
    "ts",
    (i) => `import { definePlugin, type MessageSentEvent } from "cli-agent-orchestrator/plugins";
export default definePlugin({ hooks: { message_sent(e: MessageSentEvent) { return e.message.length; } } });\n`,
  ],
];

function get(port, route) {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: route, agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body }));
    });
    request.on("error", () => resolve(undefined));
  });
}

/** Spawns `args` and returns ms from spawn to the first 200 on /health (and the child, still running). */
async function timeToFirst200(args, env, port) {
  const start = nowMs();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let exited = false;
  child.once("exit", () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${args.join(" ")} exited before answering:\n${stderr}`);
    const response = await get(port, "/health");
    if (response?.status === 200) return { ms: nowMs() - start, child };
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (nowMs() - start > 120_000) throw new Error(`${args.join(" ")} did not answer within 120 s`);
  }
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(timer);
}

function makeHome(dropIns) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-start-"));
  const dir = path.join(home, "plugins");
  fs.mkdirSync(dir);
  for (let i = 0; i < dropIns; i++) {
    const [ext, source] = KINDS[i % KINDS.length];
    fs.writeFileSync(path.join(dir, `p${i}.${ext}`), source(i));
  }
  return home;
}

async function bareNode() {
  const port = await freePort();
  const code = `require('http').createServer((q,s)=>s.end('ok')).listen(${port})`;
  const { ms, child } = await timeToFirst200(["-e", code], process.env, port);
  await stop(child);
  return ms;
}

/** Start-up times of `starts` servers one after another on one fresh CAO_HOME with `dropIns` drop-ins. */
async function caoServer(dropIns, run, starts = 1) {
  const home = makeHome(dropIns);
  const port = await freePort();
  const socket = `cao-bench-start-${process.pid}-${run}-${dropIns}`;
  const env = {
    ...process.env,
    CAO_HOME: home,
    CAO_API_PORT: String(port),
    CAO_TMUX_SOCKET: socket,
    CAO_LOG_LEVEL: "warn",
  };
  try {
    const times = [];
    for (let i = 0; i < starts; i++) {
      const { ms, child } = await timeToFirst200([path.join(root, "dist/cli/main.js"), "server"], env, port);
      const plugins = JSON.parse((await get(port, "/plugins")).body);
      await stop(child);
      const active = plugins.filter((p) => p.status === "active").length;
      if (active !== dropIns) throw new Error(`expected ${dropIns} active plugins, got ${active}`);
      times.push(ms);
    }
    return times;
  } finally {
    spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export async function run() {
  const bare = [];
  const empty = [];
  const many = [];
  const warm = [];
  for (let run = 0; run < RUNS; run++) {
    bare.push(await bareNode());
    empty.push(...(await caoServer(0, run)));
    const [first, second] = await caoServer(DROP_INS, run, 2);
    many.push(first);
    warm.push(second);
    console.log(
      `run ${run + 1}: bare node ${fixed(bare[run], 0)} ms, cao server 0 drop-ins ${fixed(empty[run], 0)} ms, ` +
        `${DROP_INS} drop-ins ${fixed(first, 0)} ms (restart: ${fixed(second, 0)} ms)`,
    );
  }
  const ms = (values) => `median ${fixed(median(values), 0)} ms`;
  return [
    {
      summary: {
        name: "server start, 0 drop-ins (spawn → first 200 on /health)",
        measured: ms(empty),
        baseline: `bare node http server: ${ms(bare)}`,
        ratio: `${fixed(median(empty) / median(bare))}x`,
        target: "reference (no target)",
        pass: null,
      },
      details: { runs: RUNS, caoMs: empty, bareMs: bare },
    },
    {
      summary: {
        name: `server start, ${DROP_INS} trivial drop-ins (.ts/.js/.mjs, class + definePlugin)`,
        measured: ms(many),
        baseline: `0 drop-ins: ${ms(empty)}`,
        ratio: `${fixed(median(many) / median(empty))}x`,
        target: `<= ${TARGET_MS} ms`,
        pass: median(many) <= TARGET_MS,
      },
      details: { runs: RUNS, dropIns: DROP_INS, manyMs: many, emptyMs: empty },
    },
    {
      summary: {
        name: `server restart, ${DROP_INS} trivial drop-ins (transpile cache warm)`,
        measured: ms(warm),
        baseline: `0 drop-ins: ${ms(empty)}`,
        ratio: `${fixed(median(warm) / median(empty))}x`,
        target: `<= ${TARGET_MS} ms`,
        pass: median(warm) <= TARGET_MS,
      },
      details: { runs: RUNS, dropIns: DROP_INS, warmMs: warm, emptyMs: empty },
    },
  ];
}

if (isMain(import.meta.url)) {
  const { report } = await import("./lib.mjs");
  for (const { summary, details } of await run()) report(summary, details);
}
