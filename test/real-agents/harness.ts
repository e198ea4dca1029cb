/**
 * A rig for tests with the real agent CLIs: the model double, a user HOME configured for it, and a real `cao server`
 * child process whose PATH holds the pinned CLIs (test/real-agents/agent-clis.json). Each rig has its own HOME,
 * CAO_HOME, port and tmux socket; stop() ends every process its terminals left behind, by pid.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { endProcesses, processesOfTerminal } from "../../src/clients/agent-processes.js";
import { ModelDouble } from "../../src/model-double/index.js";
import { tempDir } from "../helpers/fs-fixtures.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";
import { agentCli } from "./agent-clis.js";
import { seedUserHome } from "./user-home.js";
import type { Terminal } from "../../src/contract/api.js";

export type { Terminal };

export interface Rig {
  double: ModelDouble;
  server: ServerProcess;
  /** The user's HOME the server and its agents run with. */
  home: string;
  /** A fresh directory no CLI has seen (its trust screen shows on first launch). */
  freshDir(prefix?: string): string;
  /** POST /sessions; throws with the server's answer unless 201. */
  launch(provider: string, options?: { profile?: string; dir?: string; session?: string }): Promise<Terminal>;
  /** POST /sessions/:name/terminals. */
  addTerminal(session: string, provider: string, options?: { profile?: string; dir?: string }): Promise<Terminal>;
  status(id: string): Promise<string>;
  /** Polls GET /terminals/:id until its status is one of `statuses`; returns every status seen on the way. */
  waitForStatus(id: string, statuses: string | string[], timeoutMs?: number): Promise<string[]>;
  send(id: string, message: string): Promise<void>;
  /**
   * One turn: types `message`, waits until the double has answered `requests` requests whose prompt contains
   * `prompt` (so a status read after that belongs to this turn, not the last one), then until `until`.
   * Returns the statuses seen from typing on.
   */
  turn(
    id: string,
    message: string,
    options: { prompt: string; requests?: number; until?: string | string[] },
  ): Promise<string[]>;
  lastAnswer(id: string): Promise<string>;
  fullOutput(id: string): Promise<string>;
  /** Pids still carrying the terminal's CAO_TERMINAL_ID (its agent and everything it started). */
  agentPids(id: string): number[];
  /** Waits until terminal `id` has no process left (fails with their command lines after `timeoutMs`). */
  expectNoAgentProcesses(id: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const rigs = new Set<Rig>();
const terminalsOf = new WeakMap<Rig, Set<string>>();

export async function startRig(
  providers: string[],
  options: { serverEnv?: Record<string, string> } = {},
): Promise<Rig> {
  const double = await ModelDouble.start();
  const home = tempDir("cao-real-home-");
  const env: Record<string, string> = {};
  for (const provider of providers) Object.assign(env, seedUserHome(provider, home, double.url));
  const cliDirs = providers.map((p) => agentCli(p).binDir);
  const basePath = [path.dirname(process.execPath), ...(process.env.PATH ?? "").split(path.delimiter)].filter(
    (d, i, all) => d && all.indexOf(d) === i,
  );
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      home: path.join(home, ".cao"),
      env: {
        HOME: home,
        PATH: [...cliDirs, ...basePath].join(path.delimiter),
        TERM: "xterm-256color",
        CAO_LOG_LEVEL: "debug",
        ...env,
        ...options.serverEnv,
      },
    });
  } catch (error) {
    await double.close();
    throw error;
  }
  const ids = new Set<string>();
  const http = async (method: string, route: string, body?: unknown): Promise<any> => {
    const answer = await server.http(method, route, body);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(
        `${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}\n--- model double: ${double.summary()}\n--- server log tail:\n${server.output().split("\n").slice(-15).join("\n")}`,
      );
    }
    return answer.body;
  };
  const remember = (terminal: Terminal): Terminal => {
    ids.add(terminal.id);
    return terminal;
  };
  const rig: Rig = {
    double,
    server,
    home,
    freshDir: (prefix = "cao-real-work-") => fs.realpathSync(tempDir(prefix)),
    async launch(provider, o = {}) {
      const query = new URLSearchParams({
        provider,
        agent_profile: o.profile ?? "developer",
        working_directory: o.dir ?? rig.freshDir(),
      });
      if (o.session) query.set("session_name", o.session);
      return remember(await http("POST", `/sessions?${query}`));
    },
    async addTerminal(session, provider, o = {}) {
      const query = new URLSearchParams({
        provider,
        agent_profile: o.profile ?? "developer",
        working_directory: o.dir ?? rig.freshDir(),
      });
      return remember(await http("POST", `/sessions/${session}/terminals?${query}`));
    },
    async status(id) {
      return (await http("GET", `/terminals/${id}`)).status;
    },
    async waitForStatus(id, statuses, timeoutMs = 90_000) {
      const wanted = Array.isArray(statuses) ? statuses : [statuses];
      const seen: string[] = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await rig.status(id);
        if (seen.at(-1) !== status) seen.push(status);
        if (wanted.includes(status)) return seen;
        if (Date.now() > deadline) {
          const screen = await rig.fullOutput(id).catch(() => "(no screen)");
          throw new Error(
            `terminal ${id} did not reach ${wanted.join("|")} within ${timeoutMs} ms (seen ${seen.join(" → ")})\n--- screen:\n${screen
              .split("\n")
              .filter((l) => l.trim())
              .slice(-25)
              .join("\n")}\n--- model double: ${double.summary()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async send(id, message) {
      await http("POST", `/terminals/${id}/input`, { message });
    },
    async turn(id, message, o) {
      const seen: string[] = [];
      let done = false;
      const watch = (async () => {
        while (!done) {
          const status = await rig.status(id).catch(() => "");
          if (status && seen.at(-1) !== status) seen.push(status);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      let reached: string[] = [];
      try {
        await rig.send(id, message);
        const wanted = o.requests ?? 1;
        await double.waitForRequest(() => double.requestsFor(o.prompt).length >= wanted, 90_000);
        reached = await rig.waitForStatus(id, o.until ?? "completed");
      } finally {
        done = true;
        await watch;
      }
      // After the watcher stopped: a status read it began before the turn ended must not land after the final one.
      for (const status of reached) if (seen.at(-1) !== status) seen.push(status);
      return seen;
    },
    async lastAnswer(id) {
      return (await http("GET", `/terminals/${id}/output?mode=last`)).output;
    },
    async fullOutput(id) {
      return (await http("GET", `/terminals/${id}/output?mode=full`)).output;
    },
    agentPids: (id) => processesOfTerminal(id),
    async expectNoAgentProcesses(id, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (processesOfTerminal(id).length > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const left = processesOfTerminal(id).map((pid) => `${pid}: ${commandLine(pid)}`);
      expect(left, `processes of terminal ${id} still running`).toEqual([]);
    },
    async stop() {
      rigs.delete(rig);
      await server.stop("SIGTERM", 30_000).catch(() => undefined);
      // Whatever a failed test left running: ended by pid, found by its terminal id.
      await endProcesses(
        [...ids].flatMap((id) => processesOfTerminal(id)),
        500,
      );
      try {
        server.tmux("kill-server");
      } catch {
        // already gone
      }
      await double.close();
    },
  };
  terminalsOf.set(rig, ids);
  rigs.add(rig);
  return rig;
}

/** Stops every rig still running (afterAll). */
export async function stopRigs(): Promise<void> {
  await Promise.all([...rigs].map((rig) => rig.stop()));
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "(gone)";
  }
}
