/**
 * Faults of a plugin's code outside its handlers, reproduced in a real `cao server` child process (real drop-ins on
 * disk, real jiti, real HTTP, JSON logs read from its stdout): a plugin can neither keep the server from listening
 * nor end it. Each test asserts that the server answers /health after the fault, what GET /plugins says, and that
 * exactly the expected WARN line, naming the plugin, was logged.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { MessageSentEvent } from "../src/plugins/api/index.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { freePort } from "./helpers/ports.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import {
  spawnServerProcess,
  stopServerProcesses,
  waitForHealth,
  type ServerProcess,
} from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopServerProcesses();
  await stopRegistries();
  removeTempDirs();
});

/** A well-behaved plugin beside each hostile one: it must stay active whatever the other does. */
const GOOD = { "good.mjs": `export default { hooks: { message_sent() {} } };` };

interface PluginRow {
  name: string;
  status: string;
  error?: string;
}

async function pluginRows(server: ServerProcess): Promise<Record<string, PluginRow>> {
  const rows = (await server.http("GET", "/plugins")).body as PluginRow[];
  return Object.fromEntries(rows.map((row) => [row.name, row]));
}

/** Waits for the first WARN naming `plugin`, then a little longer, so a second (duplicate) WARN would show too. */
async function warningsOf(server: ServerProcess, plugin: string) {
  await waitFor(
    () => {
      if (server.child.exitCode !== null)
        throw new Error(`cao server exited (${server.child.exitCode})\n${server.output()}`);
      return server.warnings().some((w) => w.plugin === plugin);
    },
    15_000,
    `a WARN naming plugin "${plugin}"`,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  return server.warnings();
}

/** The server is still serving, and a clean SIGTERM still ends it with code 0. */
async function expectAliveThenCleanStop(server: ServerProcess): Promise<void> {
  expect(await server.health(), server.output()).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
  expect(await server.stop()).toBe(0);
}

describe("start-up cannot be blocked by a plugin", () => {
  it("a drop-in whose setup() never settles, at the default 10 s setup timeout (also fastify's plugin timeout): the server listens and lists it failed", async () => {
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "hung-setup.mjs": `export default { setup() { return new Promise(() => {}); }, hooks: { message_sent() {} } };`,
      },
    });
    await waitForHealth(server, 40_000);
    const rows = await pluginRows(server);
    expect(rows["hung-setup"]).toMatchObject({ status: "failed", error: "setup() did not settle within 10000 ms" });
    expect(rows.good).toMatchObject({ status: "active" });
    expect(server.warnings().map((w) => [w.plugin, w.msg])).toEqual([
      ["hung-setup", 'plugin "hung-setup" skipped: setup() did not settle within 10000 ms'],
    ]);
    await expectAliveThenCleanStop(server);
  });

  it("a drop-in whose module top level never settles (await new Promise(() => {})): the server listens and lists it failed", async () => {
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "hung-import.ts": `await new Promise<void>(() => {});\nexport default { hooks: { message_sent() {} } };`,
      },
      env: { CAO_PLUGIN_SETUP_TIMEOUT_MS: "1500" },
    });
    await waitForHealth(server, 40_000);
    const rows = await pluginRows(server);
    expect(rows["hung-import"]).toMatchObject({ status: "failed", error: "import did not settle within 1500 ms" });
    expect(rows.good).toMatchObject({ status: "active" });
    expect(server.warnings().map((w) => [w.plugin, w.msg])).toEqual([
      ["hung-import", 'plugin "hung-import" skipped: import did not settle within 1500 ms'],
    ]);
    await expectAliveThenCleanStop(server);
  });
});

describe("deadlines count a plugin's own time only", () => {
  it("a quick async setup() is not failed because another plugin's import took longer than the setup timeout", async () => {
    const home = tempDir();
    // "a" is imported first; "z" then spends 600 ms of synchronous top-level work (as transpiling hundreds of drop-ins
    // would), twice the setup timeout. "a"'s setup needs 50 ms of real time after that.
    writeFile(
      path.join(home, "plugins", "a.mjs"),
      `export default { setup() { return new Promise((r) => setTimeout(r, 50)); }, hooks: { message_sent() {} } };`,
    );
    writeFile(
      path.join(home, "plugins", "z.mjs"),
      `const end = Date.now() + 600; while (Date.now() < end);\nexport default { hooks: { message_sent() {} } };`,
    );
    const { registry, logs } = await startRegistry({ home, setupTimeoutMs: 300 });
    expect(registry.list().map(({ name, status, error }) => ({ name, status, error }))).toEqual([
      { name: "a", status: "active", error: undefined },
      { name: "z", status: "active", error: undefined },
    ]);
    expect(logs.warnings()).toEqual([]);
  });
});

describe("plugin code outside its handlers cannot end the server", () => {
  it('a plugin timer that throws a non-Error (throw "x"): one WARN naming the plugin, the server goes on', async () => {
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "thrower.mjs": `setTimeout(() => { throw "x"; }, 300);\nexport default { hooks: { message_sent() {} } };`,
      },
    });
    await waitForHealth(server);
    const warnings = await warningsOf(server, "thrower");
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      ["thrower", 'plugin "thrower" threw outside any handler: x'],
    ]);
    expect((await pluginRows(server)).thrower).toMatchObject({ status: "active" });
    await expectAliveThenCleanStop(server);
  });

  it("a plugin socket with no error listener (connection refused; no plugin frame in the stack): one WARN naming the plugin", async () => {
    const closedPort = await freePort();
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "dialer.ts": `import net from "node:net";
          export default { async setup() { await new Promise((r) => setTimeout(r, 50)); setTimeout(() => net.connect(${closedPort}, "127.0.0.1"), 250); }, hooks: {} };`,
      },
    });
    await waitForHealth(server);
    const warnings = await warningsOf(server, "dialer");
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      ["dialer", `plugin "dialer" threw outside any handler: connect ECONNREFUSED 127.0.0.1:${closedPort}`],
    ]);
    await expectAliveThenCleanStop(server);
  });

  it("an EventEmitter 'error' with no listener, emitted from an fs callback (no plugin frame in the stack): one WARN naming the plugin", async () => {
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "emitter.mjs": `import { EventEmitter } from "node:events";
          import fs from "node:fs";
          const client = new EventEmitter();
          setTimeout(() => fs.readFile("/nonexistent/cao-plugin-fault", (err) => client.emit("error", err)), 300);
          export default { hooks: {} };`,
      },
    });
    await waitForHealth(server);
    const warnings = await warningsOf(server, "emitter");
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      [
        "emitter",
        `plugin "emitter" threw outside any handler: ENOENT: no such file or directory, open '/nonexistent/cao-plugin-fault'`,
      ],
    ]);
    await expectAliveThenCleanStop(server);
  });

  it("a plugin's queueMicrotask callback that throws a non-Error (Node reports it outside the callback's context): one WARN naming the plugin", async () => {
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "micro.mjs": `setTimeout(() => queueMicrotask(() => { throw "from a microtask"; }), 300);\nexport default { hooks: {} };`,
      },
    });
    await waitForHealth(server);
    const warnings = await warningsOf(server, "micro");
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      ["micro", 'plugin "micro" threw outside any handler: from a microtask'],
    ]);
    await expectAliveThenCleanStop(server);
  });

  it("process.exit() called by plugin code is refused with one WARN naming the plugin; the server goes on", async () => {
    const server = await spawnServerProcess({
      plugins: { ...GOOD, "quitter.mjs": `setTimeout(() => process.exit(3), 300);\nexport default { hooks: {} };` },
    });
    await waitForHealth(server);
    const warnings = await warningsOf(server, "quitter");
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      ["quitter", 'plugin "quitter" called process.exit(3): refused, plugins cannot end the process'],
    ]);
    await expectAliveThenCleanStop(server);
  });

  it("a timer, socket and emitter started by a handler after an await are attributed to that plugin (real session, real tmux)", async () => {
    const closedPort = await freePort();
    const server = await spawnServerProcess({
      plugins: {
        ...GOOD,
        "reactor.ts": `import net from "node:net";
          import { EventEmitter } from "node:events";
          export default {
            hooks: {
              async session_created() {
                await new Promise((r) => setTimeout(r, 20));
                setTimeout(() => { throw { not: "an Error" }; }, 10);
                net.connect(${closedPort}, "127.0.0.1");
                const emitter = new EventEmitter();
                setTimeout(emitter.emit.bind(emitter, "error", "plain string"), 30);
              },
            },
          };`,
      },
    });
    await waitForHealth(server);
    const created = await server.http("POST", "/sessions", {
      provider: "mock",
      agent_profile: "developer",
      session_name: "faults",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(
      () => server.warnings().filter((w) => w.plugin === "reactor").length >= 3,
      15_000,
      "three WARNs naming reactor",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      server
        .warnings()
        .map((w) => [w.plugin, w.msg])
        .sort(),
    ).toEqual(
      [
        ["reactor", `plugin "reactor" threw outside any handler: { not: 'an Error' }`],
        ["reactor", `plugin "reactor" threw outside any handler: connect ECONNREFUSED 127.0.0.1:${closedPort}`],
        ["reactor", "plugin \"reactor\" threw outside any handler: Unhandled error. ('plain string')"],
      ].sort(),
    );
    await expectAliveThenCleanStop(server);
  });

  it("a plugin's running interval does not keep cao server alive after SIGTERM", async () => {
    const server = await spawnServerProcess({
      plugins: { ...GOOD, "ticker.mjs": `setInterval(() => {}, 1000);\nexport default { hooks: {} };` },
    });
    await waitForHealth(server);
    expect(await server.stop("SIGTERM", 20_000)).toBe(0);
    expect(server.warnings().map((w) => w.msg)).toEqual([
      expect.stringMatching(/kept the process alive after shutdown/),
    ]);
  });
});

describe("embedding the registry: load() always resolves", () => {
  it("load() with a hung setup() and a hung module top level resolves, lists both failed, and the script exits 0 on its own (no exit 13)", async () => {
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "hung-setup.mjs"),
      `export default { setup() { return new Promise(() => {}); }, hooks: { message_sent() {} } };`,
    );
    writeFile(
      path.join(home, "plugins", "hung-import.mjs"),
      `await new Promise(() => {});\nexport default { hooks: {} };`,
    );
    writeFile(path.join(home, "plugins", "good.mjs"), `export default { hooks: { message_sent() {} } };`);
    const dist = path.resolve("dist/index.js");
    // No process.exit anywhere: the script must end because nothing is left to do, not be cut short by Node's
    // "unsettled top-level await" (exit 13) while load() waits for a plugin.
    const script = `
      import { PluginRegistry } from ${JSON.stringify(dist)};
      import pino from "pino";
      const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger, setupTimeoutMs: 400 });
      await registry.load();
      console.log(JSON.stringify(registry.list().map(({ name, status, error }) => ({ name, status, error }))));
    `;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual([
      { name: "good", status: "active" },
      { name: "hung-import", status: "failed", error: "import did not settle within 400 ms" },
      { name: "hung-setup", status: "failed", error: "setup() did not settle within 400 ms" },
    ]);
    const warnings = stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; plugin?: string });
    expect(warnings.map((w) => w.plugin).sort()).toEqual(["hung-import", "hung-setup"]);
  });

  it("drain() and teardown() bounded by a hung handler and a hung teardown() still return, and the script exits 0 on its own", async () => {
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "stuck.mjs"),
      `export default { teardown() { return new Promise(() => {}); }, hooks: { message_sent() { return new Promise(() => {}); } } };`,
    );
    const dist = path.resolve("dist/index.js");
    const script = `
      import { PluginRegistry, MessageSentEvent } from ${JSON.stringify(dist)};
      import pino from "pino";
      const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger, teardownTimeoutMs: 300, handlerTimeoutMs: 60000 });
      await registry.load();
      registry.dispatch(new MessageSentEvent({ sessionId: "cao-x", sender: "0000aaaa", receiver: "1111bbbb", message: "m", orchestrationType: "assign" }));
      console.log("DRAINED " + (await registry.drain(300)));
      await registry.teardown();
      console.log("TORN DOWN");
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    expect(stdout.trim().split("\n")).toEqual(["DRAINED false", "TORN DOWN"]);
  });
});

describe("hot reload cannot be blocked by a plugin", () => {
  it("a new version whose module top level never settles: not reloaded (one WARN), the running version keeps its events, teardown() still returns", async () => {
    const home = tempDir();
    const file = writeFile(
      path.join(home, "plugins", "live.mjs"),
      `export default { hooks: { message_sent(e) { (globalThis.__caoHungReload ??= []).push(e.message); } } };`,
    );
    const { registry, logs } = await startRegistry({ home, watch: true, setupTimeoutMs: 300 });
    fs.writeFileSync(file, `await new Promise(() => {});\nexport default { hooks: {} };`);
    await waitFor(() => logs.warnings().length > 0, 10_000, "the reload to give up");
    expect(logs.warnings().map((w) => [w.plugin, w.msg])).toEqual([
      ["live", 'plugin "live" not reloaded, the running version stays: import did not settle within 300 ms'],
    ]);
    registry.dispatch(
      new MessageSentEvent({
        sessionId: "cao-x",
        sender: "0000aaaa",
        receiver: "1111bbbb",
        message: "after",
        orchestrationType: "assign",
      }),
    );
    expect(await registry.drain(5000)).toBe(true);
    expect((globalThis as { __caoHungReload?: string[] }).__caoHungReload).toEqual(["after"]);
    let finished = false;
    await Promise.race([
      registry.teardown().then(() => (finished = true)),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
    expect(finished).toBe(true);
  });
});
