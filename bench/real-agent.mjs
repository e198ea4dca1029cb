// CAO's overhead on the real agent CLIs (test/real-agents/agent-clis.json), against the model double. For each CLI,
// in the same run and the same user HOME: launch → idle and one message → completed through a real `cao server`
// (POST /sessions, POST /terminals/:id/input, GET /terminals/:id), against the same CLI started bare in a tmux pane
// with the same argv, files and variables CAO gives it, typed into with tmux's paste-buffer and send-keys (as CAO
// types) and read with capture-pane by the
// provider's own screen reader every 100 ms (CAO's start-up poll period). Ratio = CAO / bare; target <= 1.10x.
// Then a handoff round trip between two real agents (the supervisor's tool call → its tool result) against the sum
// of its parts measured above (worker launch + worker turn).
//   node bench/real-agent.mjs [provider …]      BENCH_REAL_RUNS (default 3) runs of each
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createJiti } from "jiti";
import { fixed, isMain, median, nowMs, report, root, sleep, startServerProcess } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_REAL_RUNS ?? 3);
const dist = (...parts) => import(pathToFileURL(path.join(root, "dist", ...parts)).href);
const { ModelDouble } = await dist("model-double", "index.js");
const { defaultProviders, findOnPath } = await dist("providers", "index.js");
const { ProfileStore } = await dist("profiles", "profiles.js");
const { writeLaunchFiles } = await dist("services", "launch-files.js");
const { endProcesses, processesOfTerminal } = await dist("clients", "agent-processes.js");
// The test rig's recipes (TypeScript), loaded the way CAO loads plugins.
const jiti = createJiti(import.meta.url);
const { AGENT_CLI_PINS, agentCli } = await jiti.import(path.join(root, "test/real-agents/agent-clis.ts"));
const { seedUserHome } = await jiti.import(path.join(root, "test/real-agents/user-home.ts"));

const tag = (what) => `${what}-${randomBytes(3).toString("hex")}`;
const freshDir = () => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-real-work-")));

async function until(predicate, what, timeoutMs = 120_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The same CLI as CAO starts it, in a bare tmux pane: its argv, files and variables, driven by send-keys. */
class BarePane {
  constructor(provider, env, caoHome) {
    this.provider = provider;
    this.env = env;
    this.caoHome = caoHome;
    this.socket = `cao-bench-bare-${process.pid}`;
  }

  tmux(...args) {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8", env: this.env });
  }

  screen() {
    return this.tmux("capture-pane", "-p", "-J", "-t", this.session);
  }

  async launch(dir) {
    const id = randomBytes(4).toString("hex");
    this.id = id;
    this.session = `bare-${id}`;
    const plan = this.provider.buildLaunch({
      terminalId: id,
      binaryPath: findOnPath(this.provider.binary, this.env.PATH),
      asRoot: process.getuid?.() === 0,
      profile: new ProfileStore(this.caoHome).load("developer"),
      workingDirectory: dir,
      caoHome: this.caoHome,
      homeDir: this.env.HOME,
      caoMcpServer: {
        command: process.execPath,
        args: [path.join(root, "dist/mcp/main.js")],
        env: { CAO_TERMINAL_ID: id },
      },
    });
    writeLaunchFiles(path.join(this.caoHome, "runtime", id), plan.files ?? []);
    const started = nowMs();
    const envArgs = Object.entries({ ...plan.env, CAO_TERMINAL_ID: id }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    this.tmux(
      "new-session",
      "-d",
      "-s",
      this.session,
      "-x",
      "220",
      "-y",
      "50",
      "-c",
      dir,
      ...envArgs,
      plan.argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" "),
    );
    let answered = 0;
    await until(async () => {
      const screen = this.screen();
      const status = this.provider.getStatus(screen);
      if (status === "waiting_user_answer" && answered < 6) {
        const keys = this.provider.firstLaunchKeys?.(screen);
        if (keys) {
          answered++;
          this.tmux("send-keys", "-t", this.session, ...keys);
          return false;
        }
      }
      return status === "idle" || status === "completed";
    }, `bare ${this.provider.name} to be idle`);
    return nowMs() - started;
  }

  async turn(double, message, prompt) {
    const started = nowMs();
    // Typed the way CAO types (a bracketed paste, then Enter after the provider's delay): a TUI that watches for
    // paste bursts would take keystrokes typed this fast as a paste and their Enter as a newline.
    this.tmux("set-buffer", "-b", `bench-${this.id}`, message);
    this.tmux("paste-buffer", "-p", "-d", "-b", `bench-${this.id}`, "-t", this.session);
    if (this.provider.submitDelayMs) await sleep(this.provider.submitDelayMs);
    for (let i = 0; i < this.provider.pasteEnterCount; i++) this.tmux("send-keys", "-t", this.session, "Enter");
    // As CAO does: Enter again while the TUI kept the paste in its input (Gemini takes an Enter that arrives with a paste as a newline).
    for (let check = 0; check < 5 && this.provider.unsubmittedInput; check++) {
      await sleep(400);
      if (!this.provider.unsubmittedInput(this.screen())) break;
      this.tmux("send-keys", "-t", this.session, "Enter");
    }
    await double.waitForRequest((r) => !r.side && r.prompt.includes(prompt), 120_000);
    await until(() => this.provider.getStatus(this.screen()) === "completed", `bare ${this.provider.name} to complete`);
    return nowMs() - started;
  }

  async close() {
    try {
      this.tmux("kill-session", "-t", this.session);
    } catch {}
    await endProcesses(processesOfTerminal(this.id), 1000);
  }

  async stop() {
    try {
      this.tmux("kill-server");
    } catch {}
    // A failed run may leave a pane's agent behind, and some CLIs outlive their tmux server (Gemini restarts itself).
    if (this.id) await endProcesses(processesOfTerminal(this.id), 1000);
  }
}

async function throughCao(server, double, providerName, runs) {
  const launch = [];
  const turn = [];
  for (let r = 0; r < runs; r++) {
    const dir = freshDir();
    let started = nowMs();
    const terminal = await server.call(
      "POST",
      `/sessions?provider=${providerName}&agent_profile=developer&working_directory=${encodeURIComponent(dir)}`,
    );
    launch.push(nowMs() - started);
    const prompt = tag("BENCH");
    double.addRules({ when: prompt, steps: [{ text: `Bench answer ${prompt}.` }] });
    started = nowMs();
    await server.call("POST", `/terminals/${terminal.id}/input?message=${encodeURIComponent(`${prompt} reply`)}`);
    await double.waitForRequest((req) => !req.side && req.prompt.includes(prompt), 120_000);
    await until(
      async () => (await server.call("GET", `/terminals/${terminal.id}`)).status === "completed",
      `${providerName} through CAO to complete`,
    );
    turn.push(nowMs() - started);
    await server.call("DELETE", `/sessions/${terminal.session_name}`);
  }
  return { launch, turn };
}

async function bare(pane, double, runs) {
  const launch = [];
  const turn = [];
  for (let r = 0; r < runs; r++) {
    launch.push(await pane.launch(freshDir()));
    const prompt = tag("BENCH");
    double.addRules({ when: prompt, steps: [{ text: `Bench answer ${prompt}.` }] });
    turn.push(await pane.turn(double, `${prompt} reply`, prompt));
    await pane.close();
  }
  return { launch, turn };
}

/** A supervisor's handoff to a worker of the same CLI: its tool call → the tool result in its next request. */
async function handoffRoundTrips(server, double, providerName, runs) {
  const supervisor = await server.call(
    "POST",
    `/sessions?provider=${providerName}&agent_profile=code_supervisor&working_directory=${encodeURIComponent(freshDir())}`,
  );
  const trips = [];
  for (let r = 0; r < runs; r++) {
    const ask = tag("ASK");
    const task = tag("TASK");
    double.addRules(
      { when: task, steps: [{ text: `Worker answer ${task}.` }] },
      {
        when: ask,
        steps: [
          {
            tool: "handoff",
            server: "cao-mcp-server",
            input: { agent_profile: "developer", message: `${task} reply` },
          },
          { text: `Relayed ${task}.` },
        ],
      },
    );
    await server.call("POST", `/terminals/${supervisor.id}/input?message=${encodeURIComponent(`${ask} delegate`)}`);
    const followUp = await double.waitForRequest(
      (req) => !req.side && req.prompt.includes(ask) && req.toolResults.length > 0,
      180_000,
    );
    const call = double.requestsFor(ask)[0];
    if (!followUp.toolResults.at(-1)?.includes('"success":true'))
      throw new Error(`handoff failed: ${followUp.toolResults.at(-1)}`);
    trips.push(Date.parse(followUp.at) - Date.parse(call.at));
    await until(
      async () => (await server.call("GET", `/terminals/${supervisor.id}`)).status === "completed",
      "the supervisor to complete",
    );
  }
  await server.call("DELETE", `/sessions/${supervisor.session_name}`);
  return trips;
}

export async function run(requested = []) {
  const registered = new Map(defaultProviders().map((p) => [p.name, p]));
  const names = (requested.length > 0 ? requested : AGENT_CLI_PINS.map((p) => p.provider)).filter((name) => {
    if (registered.has(name)) return true;
    console.log(`(${name}: no provider registered in this build, skipped)`);
    return false;
  });
  const double = await ModelDouble.start();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cao-bench-real-home-"));
  const userEnv = {};
  for (const name of names) Object.assign(userEnv, seedUserHome(name, home, double.url));
  const basePath = [path.dirname(process.execPath), ...(process.env.PATH ?? "").split(path.delimiter)];
  const env = {
    ...process.env,
    HOME: home,
    TERM: "xterm-256color",
    PATH: [...names.map((n) => agentCli(n).binDir), ...basePath].join(path.delimiter),
    ...userEnv,
  };
  const server = await startServerProcess("real", { env });
  const pane = new BarePane(undefined, env, path.join(home, ".cao-bare"));
  const results = [];
  try {
    for (const name of names) {
      pane.provider = registered.get(name);
      console.log(`${name} ${agentCli(name).version}: ${RUNS} runs through CAO, ${RUNS} bare`);
      // Alternating keeps a drift in the machine's load from favouring either side.
      const cao = { launch: [], turn: [] };
      const plain = { launch: [], turn: [] };
      for (let r = 0; r < RUNS; r++) {
        const a = await throughCao(server, double, name, 1);
        const b = await bare(pane, double, 1);
        cao.launch.push(...a.launch);
        cao.turn.push(...a.turn);
        plain.launch.push(...b.launch);
        plain.turn.push(...b.turn);
      }
      for (const [what, measured, baseline] of [
        ["launch → idle", cao.launch, plain.launch],
        ["message → completed", cao.turn, plain.turn],
      ]) {
        const ratio = median(measured) / median(baseline);
        const row = {
          name: `real ${name} ${agentCli(name).version}: ${what}`,
          measured: `${fixed(median(measured), 0)} ms through CAO (median of ${measured.length})`,
          baseline: `${fixed(median(baseline), 0)} ms bare in tmux`,
          ratio: `${fixed(ratio)}x`,
          target: "<= 1.10x",
          pass: ratio <= 1.1,
        };
        report(row, { measured, baseline });
        results.push(row);
      }
      if (process.env.BENCH_REAL_HANDOFF !== "0") {
        const trips = await handoffRoundTrips(server, double, name, RUNS);
        const parts = median(cao.launch) + median(cao.turn);
        const row = {
          name: `real ${name}: handoff round trip`,
          measured: `${fixed(median(trips), 0)} ms tool call → tool result (median of ${trips.length})`,
          baseline: `${fixed(parts, 0)} ms worker launch + worker turn`,
          ratio: `${fixed(median(trips) / parts)}x`,
          target: "reported",
          pass: null,
        };
        report(row, { trips });
        results.push(row);
      }
    }
  } finally {
    await pane.stop();
    server.stop();
    await double.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return results;
}

if (isMain(import.meta.url)) {
  await run(process.argv.slice(2));
  process.exit(0);
}
