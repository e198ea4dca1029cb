// What agent hooks cost, with the real Claude Code CLI (test/real-agents/agent-clis.json) against the model double, in
// one run and the same user HOME, against baselines measured in the same run:
//   1. The time hooks add to one tool call. Three `cao server`s: (a) CAO_DISABLE_AGENT_HOOKS=1 (the baseline), (b)
//      hooks on, no plugins, (c) hooks on with 10 drop-in plugins, each an allow-all `pre_tool_use` interceptor. In
//      each, a turn where the double scripts BENCH_HOOK_CALLS (default 20) shell tool calls `true`, then a text
//      answer; per tool call, the gap between the double's request k and request k+1 (the tool ran in between, and
//      the PreToolUse and PostToolUse hooks with it). The configurations take turns over BENCH_HOOK_RUNS rounds
//      (default 3; the order rotates) so that a drift in the machine's load hits them alike. Targets: p50 added
//      <= 20 ms with no plugins, <= 25 ms with 10 interceptors.
//   2. Status latency, from the same turns: the double's last request arriving (it answers the final text at once) →
//      the journal's terminal_status_changed → completed; typing the message (POST /input) → … → processing. Hooks
//      on (b) against the screen alone (a).
//   3. The server's share of 1: the route alone, Claude Code's PreToolUse and PostToolUse calls sent by this process
//      to servers (b) and (c), against GET /health on the same kept-alive connection (BENCH_HOOK_ROUTE_SAMPLES, 500).
//   4. bin/cao-hook (the hook command of CLIs without HTTP hooks): spawn → exit of `cao-hook Stop` with `{}` on stdin
//      against the running server (b) (a real hook call: 200 and `{}`), against `bash -c true` and `node -e 0`
//      spawned the same way, interleaved, BENCH_HOOK_SPAWNS (default 50) each.
// Without the pinned Claude Code installed (node test/real-agents/install-agent-clis.mjs) it reports a skipped row.
//   node bench/agent-hooks.mjs           (npm run build first; CAO_AGENT_CLI_CACHE where the CLIs are installed)
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createJiti } from "jiti";
import { fixed, isMain, median, nowMs, quantile, report, root, sleep, startServerProcess } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_HOOK_RUNS ?? 3);
const CALLS = Number(process.env.BENCH_HOOK_CALLS ?? 20);
const SPAWNS = Number(process.env.BENCH_HOOK_SPAWNS ?? 50);
const ROUTE_SAMPLES = Number(process.env.BENCH_HOOK_ROUTE_SAMPLES ?? 500);
const PROVIDER = "claude_code";
const INTERCEPTORS = 10;
const ALLOW_ALL = "export default { intercepts: { async pre_tool_use() {} } };\n";
const TARGET_ADDED_MS = { on: 20, i10: 25 };

const dist = (...parts) => import(pathToFileURL(path.join(root, "dist", ...parts)).href);
const { ModelDouble } = await dist("model-double", "index.js");
const { HookTokens } = await dist("services", "agent-hooks", "hook-tokens.js");
const { endProcesses, processesOfTerminal } = await dist("clients", "agent-processes.js");
const jiti = createJiti(import.meta.url);
const { agentCli } = await jiti.import(path.join(root, "test/real-agents/agent-clis.ts"));
const { seedUserHome } = await jiti.import(path.join(root, "test/real-agents/user-home.ts"));

const tag = (what) => `${what}-${randomBytes(3).toString("hex")}`;
const tempDirs = [];
const freshDir = (prefix) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
};

async function until(predicate, what, timeoutMs = 120_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const CONFIGS = [
  { key: "off", label: "hooks off", env: { CAO_DISABLE_AGENT_HOOKS: "1" }, interceptors: 0 },
  { key: "on", label: "hooks on, no plugins", env: { CAO_DISABLE_AGENT_HOOKS: "0" }, interceptors: 0 },
  {
    key: "i10",
    label: `hooks on, ${INTERCEPTORS} allow-all pre_tool_use interceptors`,
    env: { CAO_DISABLE_AGENT_HOOKS: "0" },
    interceptors: INTERCEPTORS,
  },
];

/** A server of one configuration with one Claude Code terminal, checked to be what it claims (hooks, interceptors). */
async function startConfig(config, env) {
  const pluginsDir = freshDir(`cao-bench-hooks-plugins-${config.key}-`);
  for (let i = 0; i < config.interceptors; i++) fs.writeFileSync(path.join(pluginsDir, `allow-${i}.mjs`), ALLOW_ALL);
  const server = await startServerProcess(`hooks-${config.key}`, {
    env: { ...env, ...config.env, CAO_PLUGINS_DIR: pluginsDir },
  });
  try {
    const active = (await server.call("GET", "/plugins")).filter(
      (p) => p.status === "active" && p.hooks.includes("pre_tool_use"),
    );
    if (active.length !== config.interceptors)
      throw new Error(`${config.key}: ${active.length} active pre_tool_use interceptors, not ${config.interceptors}`);
    const terminal = await launch(server, PROVIDER).catch((error) => {
      // Not what is measured: on a loaded machine Claude Code's first launch in a new folder now and then fails.
      console.log(`  (${config.key}: the launch failed, once more: ${error.message.slice(0, 200)})`);
      return launch(server, PROVIDER);
    });
    const settings = JSON.parse(
      fs.readFileSync(path.join(server.home, "runtime", terminal.id, "claude-settings.json"), "utf8"),
    );
    if (Boolean(settings.hooks) !== (config.key !== "off"))
      throw new Error(`${config.key}: Claude Code's settings ${settings.hooks ? "have" : "lack"} hooks`);
    return { config, server, terminal };
  } catch (error) {
    server.stop();
    throw error;
  }
}

const launch = (server, provider) =>
  server.call(
    "POST",
    `/sessions?provider=${provider}&agent_profile=developer&working_directory=${encodeURIComponent(freshDir("cao-bench-hooks-work-"))}`,
  );

async function lastSeq(server) {
  return (await server.call("GET", "/events/history?limit=1"))[0]?.seq ?? 0;
}

async function eventsSince(server, since, types, terminalId) {
  const events = await server.call("GET", `/events/history?since=${since}&limit=1000&types=${types}`);
  return events.filter((event) => event.terminal_id === terminalId);
}

/**
 * One turn of `calls` tool calls `true` then a text answer. Returns the gaps between the double's requests (ms, by
 * this process's clock when each was recorded), and the status latencies read from the journal.
 */
async function turn(run, double, arrivals, calls) {
  const { server, terminal, config } = run;
  const prompt = tag("HOOKBENCH");
  double.addRules({
    when: prompt,
    steps: [...Array.from({ length: calls }, () => ({ shell: "true" })), { text: `Done ${prompt}.` }],
  });
  const since = await lastSeq(server);
  const typed = Date.now();
  await server.call("POST", `/terminals/${terminal.id}/input?message=${encodeURIComponent(`${prompt} run the tools`)}`);
  try {
    await double.waitForRequest(() => double.requestsFor(prompt).length >= calls + 1, 300_000);
  } catch (error) {
    // What the agent's screen showed is what tells a stuck turn from a slow one.
    const screen = await server.call("GET", `/terminals/${terminal.id}/output?mode=full`).catch(() => ({ output: "" }));
    throw new Error(`${config.key}: ${error.message}\n--- the agent's screen ---\n${screen.output.slice(-3000)}`);
  }
  const requests = double.requestsFor(prompt);
  requests.forEach((request, k) => {
    if (request.toolResults.length !== k)
      throw new Error(`${config.key}: request ${k} of the turn carries ${request.toolResults.length} tool results`);
  });
  const last = Date.parse(requests.at(-1).at);
  // The turn's end as the journal has it: the last `completed` of this turn, once one follows the final answer.
  let statuses = [];
  await until(
    async () => {
      statuses = await eventsSince(server, since, "terminal_status_changed", terminal.id);
      return statuses.some((e) => e.status === "completed" && Date.parse(e.timestamp) >= last);
    },
    `${config.key}: terminal_status_changed → completed`,
    60_000,
  );
  await sleep(1500); // what else the turn's end brings (a late Stop hook, the screen catching up) lands before the next
  statuses = await eventsSince(server, since, "terminal_status_changed", terminal.id);
  const completed = statuses.filter((e) => e.status === "completed").at(-1);
  const processing = statuses.find((e) => e.status === "processing");
  const tools = await eventsSince(server, since, "agent_tool_started", terminal.id);
  const wantTools = config.key === "off" ? 0 : calls;
  if (tools.length !== wantTools)
    throw new Error(`${config.key}: ${tools.length} agent_tool_started events in the turn, not ${wantTools}`);
  const gaps = [];
  for (let k = 1; k < requests.length; k++)
    gaps.push(arrivals.get(requests[k].seq) - arrivals.get(requests[k - 1].seq));
  return {
    gaps,
    toCompleted: Date.parse(completed.timestamp) - last,
    toProcessing: processing ? Date.parse(processing.timestamp) - typed : undefined,
    statuses: statuses.map((e) => e.status),
  };
}

const pct = (values) => `p50 ${fixed(median(values), 1)} ms, p90 ${fixed(quantile(values, 0.9), 1)} ms`;

/** ms from spawn to exit of `command args` with `input` on stdin; a failure (or unexpected output) is an error. */
function spawnTime(command, args, { input = "", env = process.env, expect } = {}) {
  const start = nowMs();
  const result = spawnSync(command, args, { input, env, encoding: "utf8" });
  const ms = nowMs() - start;
  if (result.status !== 0 || (expect !== undefined && result.stdout !== expect) || result.stderr)
    throw new Error(
      `${command} ${args.join(" ")}: exit ${result.status}, stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}`,
    );
  return ms;
}

/**
 * A mock terminal of `run`'s server to send hook calls to (the mock agent speaks Claude Code's hook dialect): its
 * hook URL and secret. Hook calls to it leave the Claude Code terminal's turns alone.
 */
async function hookTarget(run) {
  if (!run.hookTarget) {
    const mock = await launch(run.server, "mock");
    (run.extraTerminals ??= []).push(mock.id);
    run.hookTarget = {
      id: mock.id,
      url: `${run.server.base}/terminals/${mock.id}/agent-hooks`,
      token: HookTokens.open(path.join(run.server.home, "hook-key")).tokenFor(mock.id),
    };
  }
  return run.hookTarget;
}

/**
 * The server's share of a tool call: Claude Code's PreToolUse and PostToolUse calls (bodies shaped as it sends
 * them, over one kept-alive connection, as its HTTP client does) against GET /health on the same connection, the
 * HTTP floor. Interleaved, ROUTE_SAMPLES of each after a warm-up.
 */
async function routeCost(run) {
  const { url, token } = await hookTarget(run);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (target, body) =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers = data === undefined ? {} : { "content-type": "application/json", "x-cao-hook-token": token };
      const start = nowMs();
      const request = http.request(target, { method: data ? "POST" : "GET", agent, headers }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
          const ms = nowMs() - start;
          if (response.statusCode !== 200 || (data !== undefined && text !== "{}"))
            reject(new Error(`${target}: HTTP ${response.statusCode} ${text}`));
          else resolve(ms);
        });
      });
      request.on("error", reject);
      request.end(data);
    });
  const common = {
    session_id: "5f1c2a0e-0000-4000-8000-000000000000",
    transcript_path: path.join(os.tmpdir(), "cao-bench-no-transcript.jsonl"),
    cwd: os.tmpdir(),
    permission_mode: "bypassPermissions",
    tool_name: "Bash",
    tool_input: { command: "true", description: "Run true" },
  };
  let n = 0;
  const kinds = {
    health: () => send(`${run.server.base}/health`),
    pre: () => send(url, { ...common, hook_event_name: "PreToolUse", tool_use_id: `toolu_bench_${++n}` }),
    post: () =>
      send(url, {
        ...common,
        hook_event_name: "PostToolUse",
        tool_use_id: `toolu_bench_${n}`,
        tool_response: { stdout: "", stderr: "", interrupted: false, isImage: false },
      }),
  };
  const times = { health: [], pre: [], post: [] };
  for (let i = 0; i < 50; i++) for (const kind of Object.keys(kinds)) await kinds[kind]();
  for (let i = 0; i < ROUTE_SAMPLES; i++) for (const kind of Object.keys(kinds)) times[kind].push(await kinds[kind]());
  agent.destroy();
  return times;
}

async function caoHookStartup(run) {
  const { url, token } = await hookTarget(run);
  const env = { ...process.env, CAO_HOOK_URL: url, CAO_HOOK_TOKEN: token };
  const caoHook = path.join(root, "bin", "cao-hook");
  const kinds = {
    caoHook: () => spawnTime(caoHook, ["Stop"], { input: "{}", env, expect: "{}" }),
    bash: () => spawnTime("bash", ["-c", "true"]),
    node: () => spawnTime(process.execPath, ["-e", "0"]),
  };
  const times = { caoHook: [], bash: [], node: [] };
  for (const kind of Object.keys(kinds)) kinds[kind](); // warm the page cache
  for (let i = 0; i < SPAWNS; i++) for (const kind of Object.keys(kinds)) times[kind].push(kinds[kind]());
  return times;
}

export async function run() {
  let cli;
  try {
    cli = agentCli(PROVIDER);
  } catch (error) {
    const row = {
      name: "agent hooks, real Claude Code",
      measured: `skipped: ${error.message}`,
      baseline: "",
      ratio: "",
      target: "",
      pass: null,
    };
    report(row);
    return [row];
  }
  const load = [os.loadavg()];
  const arrivals = new Map(); // the double's request seq → when this process saw it (ms, monotonic)
  const double = await ModelDouble.start({
    log: (line) => {
      const seq = Number(/^#(\d+)/.exec(line)?.[1]);
      if (seq) arrivals.set(seq, nowMs());
    },
  });
  const home = freshDir("cao-bench-hooks-home-");
  const basePath = [path.dirname(process.execPath), ...(process.env.PATH ?? "").split(path.delimiter)];
  const env = {
    HOME: home,
    TERM: "xterm-256color",
    PATH: [cli.binDir, ...basePath].join(path.delimiter),
    ...seedUserHome(PROVIDER, home, double.url),
  };
  const runs = [];
  const results = [];
  try {
    for (const config of CONFIGS) runs.push(await startConfig(config, env));
    console.log(
      `Claude Code ${cli.version}: ${RUNS} rounds of ${CALLS} tool calls per configuration (${CONFIGS.map((c) => c.key).join(", ")})`,
    );
    // A first turn each, not counted: Claude Code's first request of a session does more than the next ones.
    for (const r of runs) await turn(r, double, arrivals, 2);
    const by = Object.fromEntries(
      CONFIGS.map((c) => [c.key, { gaps: [], toCompleted: [], toProcessing: [], rounds: [] }]),
    );
    for (let round = 0; round < RUNS; round++) {
      const order = runs.map((_, i) => runs[(i + round) % runs.length]);
      for (const r of order) {
        const t = await turn(r, double, arrivals, CALLS);
        const into = by[r.config.key];
        into.gaps.push(...t.gaps);
        into.toCompleted.push(t.toCompleted);
        if (t.toProcessing !== undefined) into.toProcessing.push(t.toProcessing);
        into.rounds.push(median(t.gaps));
        console.log(
          `  round ${round + 1} ${r.config.key}: tool call ${pct(t.gaps)}; last request → completed ${t.toCompleted} ms; typed → processing ${t.toProcessing ?? "-"} ms (${t.statuses.join(" → ")})`,
        );
      }
    }
    load.push(os.loadavg());

    const off = by.off;
    for (const key of ["on", "i10"]) {
      const config = CONFIGS.find((c) => c.key === key);
      const mine = by[key];
      const added = median(mine.gaps) - median(off.gaps);
      const row = {
        name: `agent hooks, real Claude Code ${cli.version}: one tool call (the double's request k → k+1), ${config.label}`,
        measured: `${pct(mine.gaps)} (${mine.gaps.length} calls)`,
        baseline: `hooks off: ${pct(off.gaps)} (${off.gaps.length} calls)`,
        ratio: `${added >= 0 ? "+" : ""}${fixed(added, 1)} ms at p50 (${fixed(median(mine.gaps) / median(off.gaps))}x)`,
        target: `<= ${TARGET_ADDED_MS[key]} ms added at p50`,
        pass: added <= TARGET_ADDED_MS[key],
      };
      report(row, { gaps: mine.gaps, baseline: off.gaps, roundMedians: mine.rounds, baselineRoundMedians: off.rounds });
      results.push(row);
    }
    for (const [what, field] of [
      ["final answer (the double's last request) → terminal_status_changed completed", "toCompleted"],
      ["POST /input → terminal_status_changed processing", "toProcessing"],
    ]) {
      const on = by.on[field];
      const screen = off[field];
      const row = {
        name: `status from hooks, real Claude Code ${cli.version}: ${what}`,
        measured: `hooks on: median ${fixed(median(on), 0)} ms (${on.length} turns; ${INTERCEPTORS} interceptors: ${fixed(median(by.i10[field]), 0)} ms)`,
        baseline: `hooks off (screen): median ${fixed(median(screen), 0)} ms (${screen.length} turns)`,
        ratio: `${fixed(median(on) / median(screen))}x`,
        target: "reported",
        pass: null,
      };
      report(row, { on, screen, i10: by.i10[field] });
      results.push(row);
    }

    for (const key of ["on", "i10"]) {
      const config = CONFIGS.find((c) => c.key === key);
      const times = await routeCost(runs.find((r) => r.config.key === key));
      const [pre, post, health] = [median(times.pre), median(times.post), median(times.health)];
      const row = {
        name: `POST /terminals/:id/agent-hooks alone, ${config.label}: Claude Code's PreToolUse and PostToolUse calls (kept-alive connection)`,
        measured: `PreToolUse p50 ${fixed(pre, 3)} ms (p90 ${fixed(quantile(times.pre, 0.9), 3)}), PostToolUse p50 ${fixed(post, 3)} ms (p90 ${fixed(quantile(times.post, 0.9), 3)})`,
        baseline: `GET /health on the same server: p50 ${fixed(health, 3)} ms (p90 ${fixed(quantile(times.health, 0.9), 3)})`,
        ratio: `${fixed(pre + post - 2 * health, 3)} ms added per tool call at p50`,
        target: "reported (the server's share of the rows above)",
        pass: null,
      };
      report(row, times);
      results.push(row);
    }
    load.push(os.loadavg());

    const spawns = await caoHookStartup(runs.find((r) => r.config.key === "on"));
    load.push(os.loadavg());
    const hook = median(spawns.caoHook);
    const row = {
      name: "`cao-hook Stop` with `{}` on stdin, server running (spawn → exit, a real hook call)",
      measured: `median ${fixed(hook, 1)} ms (p90 ${fixed(quantile(spawns.caoHook, 0.9), 1)} ms, ${SPAWNS} spawns)`,
      baseline: `bare \`bash -c true\`: median ${fixed(median(spawns.bash), 1)} ms; \`node -e 0\`: median ${fixed(median(spawns.node), 1)} ms`,
      ratio: `${fixed(hook / median(spawns.bash))}x bash, ${fixed(hook / median(spawns.node))}x node`,
      target: "below `node -e 0`",
      pass: hook < median(spawns.node),
    };
    report(row, spawns);
    results.push(row);
    console.log(
      `1-minute load average: ${load.map((l) => fixed(l[0], 1)).join(" → ")} (start, after the turns, after the route, after cao-hook)`,
    );
  } finally {
    for (const r of runs) {
      r.server.stop();
      for (const id of [r.terminal.id, ...(r.extraTerminals ?? [])]) await endProcesses(processesOfTerminal(id), 1000);
    }
    await double.close();
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (isMain(import.meta.url)) {
  await run();
  process.exit(0);
}
