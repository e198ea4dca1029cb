/**
 * Worker isolation in a real `cao server` child process (docs/contract.md#plugin-api): a worker plugin that loops forever, exhausts its
 * heap or vandalises its globals cannot stop, slow or corrupt the server. The server answers /health while the fault
 * is under way (measured by asking it), an inline plugin beside it receives every event in order, and the faulty
 * plugin is restarted and gets the events queued behind the fault. The plugins declare `static isolation = "worker"`
 * themselves (the server has no per-plugin setting before the config file exists).
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileRecorderSource, readRecords } from "./helpers/file-recorder.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

/** A server start, a mock session and a worker restart each take seconds on a busy machine; nothing here is timed. */
const TEST_TIMEOUT = 120_000;

afterEach(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

/**
 * Starts a server whose plugins are `faulty` (worker; records every event, and runs `fault` on the first
 * session_created after writing a marker file) and `good` (inline recorder).
 */
async function serverWithFault(fault: string, env: Record<string, string> = {}) {
  const home = tempDir("cao-worker-");
  const marker = path.join(home, "fault-started");
  const faultyFile = path.join(home, "faulty.jsonl");
  const goodFile = path.join(home, "good.jsonl");
  const server = await startServerProcess({
    home,
    env,
    plugins: {
      "faulty.ts": fileRecorderSource(faultyFile, "faulty", {
        isolation: "worker",
        preamble: `const MARKER = ${JSON.stringify(marker)};`,
        body: `@hook("session_created") fault() {
          if (fs.existsSync(MARKER)) return;
          fs.writeFileSync(MARKER, String(threadId));
          ${fault}
        }`,
      }),
      "good.ts": fileRecorderSource(goodFile, "good"),
    },
  });
  return { server, marker, faultyFile, goodFile };
}

/** Asks /health again and again until `done()`; returns each answer's status (undefined: no answer). */
async function healthWhile(server: ServerProcess, done: () => boolean): Promise<(string | undefined)[]> {
  const answers: (string | undefined)[] = [];
  while (!done()) {
    if (server.child.exitCode !== null) throw new Error(`cao server exited\n${server.output()}`);
    answers.push((await server.health())?.status);
  }
  return answers;
}

/** A session created and deleted: session_created, terminal_created, then terminal_killed and session_killed. */
async function sessionLifecycle(server: ServerProcess, name: string, between: () => Promise<void> = async () => {}) {
  const created = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: name,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await between();
  const deleted = await server.http("DELETE", `/sessions/cao-${name}`);
  expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
}

const types = (file: string) => readRecords(file).map((r) => `${r.eventType} ${r.fields.session_id}`);

async function expectSameEvents(faultyFile: string, goodFile: string, count: number) {
  await waitFor(
    () => readRecords(goodFile).length >= count && readRecords(faultyFile).length >= count,
    60_000,
    `${count} events at both plugins`,
  );
  expect(types(goodFile)).toHaveLength(count);
  expect(types(faultyFile)).toEqual(types(goodFile));
}

describe("a worker plugin's fault does not reach the server", () => {
  it(
    "`while (true) {}` in a handler: /health answers during the loop, the worker is ended at the handler timeout and restarted, no event lost",
    async () => {
      const { server, marker, faultyFile, goodFile } = await serverWithFault("while (true) {}", {
        CAO_PLUGIN_HANDLER_TIMEOUT_MS: "2000",
      });
      const restarted = () => server.warnings().some((w) => w.plugin === "faulty" && /restarting it/.test(w.msg));
      let during: (string | undefined)[] = [];
      await sessionLifecycle(server, "spin", async () => {
        await waitFor(() => fs.existsSync(marker), 15_000, "the loop to start");
        during = await healthWhile(server, restarted);
      });
      // Asked over and over for the whole loop (2 s at least): every answer came, and said ok.
      expect(during.length).toBeGreaterThan(2);
      expect(during.every((status) => status === "ok")).toBe(true);
      await expectSameEvents(faultyFile, goodFile, 4);
      const warnings = server.warnings().map((w) => w.msg);
      expect(warnings).toEqual([
        `plugin "faulty" handler fault timed out after 2000 ms on session_created`,
        `plugin "faulty" worker was terminated: handler fault ran past the 2000 ms handler timeout; restarting it (1 of 3 deaths allowed within 60 s)`,
      ]);
      const rows = (await server.http("GET", "/plugins")).body as { name: string; status: string; isolation: string }[];
      expect(rows.map((r) => [r.name, r.status, r.isolation])).toEqual([
        ["faulty", "active", "worker"],
        ["good", "active", "inline"],
      ]);
      expect(await server.stop()).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "an allocation loop: the worker dies at its heap limit and is restarted; /health answered meanwhile, no event lost",
    async () => {
      const { server, marker, faultyFile, goodFile } = await serverWithFault(
        "const hoard: unknown[] = []; for (;;) hoard.push(new Array(100_000).fill(Math.random()));",
        { CAO_PLUGIN_WORKER_HEAP_MB: "64" },
      );
      const restarted = () => server.warnings().some((w) => w.plugin === "faulty" && /restarting it/.test(w.msg));
      let during: (string | undefined)[] = [];
      await sessionLifecycle(server, "hoard", async () => {
        await waitFor(() => fs.existsSync(marker), 15_000, "the allocation loop to start");
        during = await healthWhile(server, restarted);
      });
      expect(during.length).toBeGreaterThan(2);
      expect(during.every((status) => status === "ok")).toBe(true);
      expect(await server.health()).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
      await expectSameEvents(faultyFile, goodFile, 4);
      expect(server.warnings().map((w) => w.msg)).toEqual([
        `plugin "faulty" worker ran out of memory (heap limit 64 MB); restarting it (1 of 3 deaths allowed within 60 s)`,
      ]);
      expect(await server.stop()).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "replacing Object.prototype, Array.prototype.map/push, JSON.parse/stringify and fetch in the worker: the server answers normally and the inline plugin gets every event",
    async () => {
      const { server, marker, faultyFile, goodFile } = await serverWithFault(`
      (Object.prototype as any).polluted = "yes";
      Array.prototype.map = function () { return ["hijacked"]; } as any;
      Array.prototype.push = function () { throw new Error("push hijacked"); };
      JSON.parse = () => ({ hijacked: true });
      JSON.stringify = () => '"hijacked"';
      (globalThis as any).fetch = () => { throw new Error("fetch hijacked"); };`);
      await sessionLifecycle(server, "vandal", async () => {
        await waitFor(() => fs.existsSync(marker), 15_000, "the vandalism");
      });
      await waitFor(() => readRecords(goodFile).length >= 4, 60_000, "4 events at the good plugin");
      expect(types(goodFile).sort()).toEqual([
        "session_created cao-vandal",
        "session_killed cao-vandal",
        "terminal_created cao-vandal",
        "terminal_killed cao-vandal",
      ]);
      // The server's JSON, arrays and routes are its own: real answers, no polluted keys, every route still works.
      const rows = (await server.http("GET", "/plugins")).body as Record<string, unknown>[];
      expect(rows.map((r) => [r.name, r.status, r.isolation])).toEqual([
        ["faulty", "active", "worker"],
        ["good", "active", "inline"],
      ]);
      for (const row of rows) expect(Object.keys(row)).not.toContain("polluted");
      await sessionLifecycle(server, "after");
      await waitFor(() => readRecords(goodFile).length >= 8, 60_000, "8 events at the good plugin");
      expect((await server.http("GET", "/sessions")).body).toEqual([]);
      // The vandal's own records after its vandalism are "hijacked" lines: it kept running, in its own thread.
      expect(fs.readFileSync(faultyFile, "utf8")).toContain("hijacked");
      expect(server.warnings()).toEqual([]);
      expect(await server.stop()).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
