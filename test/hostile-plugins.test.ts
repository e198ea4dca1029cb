/**
 * Hostile plugins: each case loads one misbehaving drop-in beside a well-behaved recorder ("good") and checks
 * that the recorder receives every event, in order, that the hostile plugin costs exactly the WARNs it should,
 * and that the caller of dispatch() never notices. Real files, real jiti, a real registry.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RegistryOptions } from "../src/plugins/host/index.js";
import { eventStream, sessionIds } from "./helpers/events.js";
import { waitFor } from "./helpers/wait.js";
import { readRecords } from "./helpers/file-recorder.js";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

const run = promisify(execFile);
const EVENTS = 20; // four of each type; events 2, 7, 12, 17 are message_sent
const MESSAGES = EVENTS / 5;

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

let caseNo = 0;

/**
 * Loads `good.ts` (an inline recorder of every event) and `hostile.ts` (the given source; isolation `mode`), dispatches
 * EVENTS events. The hostile plugin records to a file (`__OUT__`), which works from a worker thread too.
 */
async function withHostile(mode: Mode, hostile: string, options: Partial<RegistryOptions> = {}) {
  const key = `hostile-${++caseNo}`;
  const home = tempDir();
  const out = path.join(home, "hostile.jsonl");
  writeFile(path.join(home, "plugins", "good.ts"), recorderSource(key, "good"));
  writeFile(path.join(home, "plugins", "hostile.ts"), hostile.replaceAll("__OUT__", JSON.stringify(out)));
  const { registry, logs } = await startRegistry({
    home,
    plugins: { hostile: { isolation: mode } },
    ...(mode === "worker" ? WORKER_OPTIONS : {}),
    ...options,
  });
  const events = eventStream(EVENTS);
  for (const event of events) expect(registry.dispatch(event)).toBeUndefined();
  const received = sink<Received>(key);
  const good = () => received.filter((r) => r.plugin === "good");
  const hostileRecords = () => readRecords(out);
  const expected = events.map((e) => e.sessionId);
  return { registry, logs, good, hostileRecords, expected, key };
}

const PREAMBLE = `import fs from "node:fs";
import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
const out = { push(record: unknown) { fs.appendFileSync(__OUT__, JSON.stringify(record) + "\\n"); } };`;

type Mode = "inline" | "worker";

/**
 * Starting a worker (a thread, then the loader, Babel on a cold transpile cache) takes seconds from the TypeScript
 * sources on a busy machine, and the setup deadline covers it: worker cases get room (nothing here is timed).
 */
const SETUP_TIMEOUT: Record<Mode, number> = { inline: 200, worker: 20_000 };
const WORKER_OPTIONS: Partial<RegistryOptions> = { setupTimeoutMs: 30_000 };
vi.setConfig({ testTimeout: 120_000 });

// Every case runs with the hostile plugin inline, and again with it in a worker thread (docs/contract.md#plugin-api): the good plugin
// must get everything either way, and the WARNs are the same, except where isolation changes the outcome on purpose.
describe.each<Mode>(["inline", "worker"])("hostile plugins beside a well-behaved one (hostile plugin %s)", (mode) => {
  it("a handler that throws synchronously: one WARN per call, its other handler and the good plugin get everything", async () => {
    const { registry, logs, good, expected, hostileRecords } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        @hook("message_sent") boom(): void { throw new Error("sync boom"); }
        @hook("message_sent") after(e: any) { out.push({ plugin: "hostile", fields: { sessionId: e.sessionId } }); }
      }`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(hostileRecords()).toHaveLength(MESSAGES);
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(MESSAGES);
    for (const w of warnings)
      expect(w).toMatchObject({ plugin: "hostile", handler: "boom", eventType: "message_sent" });
    expect(warnings[0]!.msg).toContain("sync boom");
    expect(registry.stats().hostile).toMatchObject({ failed: MESSAGES, delivered: MESSAGES });
  });

  it("a handler that rejects: one WARN per call naming plugin, handler and event type", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        @hook("terminal_created") async rejects() { await Promise.resolve(); throw new Error("async boom"); }
      }`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(EVENTS / 5);
    for (const w of warnings)
      expect(w).toMatchObject({ plugin: "hostile", handler: "rejects", eventType: "terminal_created" });
    expect(warnings[0]!.msg).toContain("async boom");
  });

  it("a handler that never settles: the good plugin is not held up; each call times out with one WARN", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        @hook("message_sent") hang() { return new Promise(() => {}); }
      }`,
      { handlerTimeoutMs: 400 },
    );
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (good().length < EVENTS) return;
        clearInterval(check);
        // The good plugin has everything while the hung one has not even timed out once.
        try {
          expect(registry.stats().hostile!.timedOut).toBe(0);
          resolve();
        } catch (error) {
          reject(error);
        }
      }, 5);
    });
    expect(sessionIds(good())).toEqual(expected);
    if (mode === "inline") {
      expect(await registry.drain(10_000)).toBe(true);
      expect(registry.stats().hostile).toMatchObject({ timedOut: MESSAGES, pending: 0 });
      const warnings = logs.warnings();
      expect(warnings).toHaveLength(MESSAGES);
      for (const w of warnings)
        expect(w).toMatchObject({ plugin: "hostile", handler: "hang", eventType: "message_sent" });
      expect(warnings[0]!.msg).toMatch(/timed out after 400 ms/);
      return;
    }
    // In a worker a timed-out call ends the thread: restarted twice, and the third death within 60 s fails it.
    await waitFor(
      () => registry.list().find((p) => p.name === "hostile")!.status === "failed",
      90_000,
      "the hostile plugin to be failed",
    );
    expect(await registry.drain(10_000)).toBe(true);
    expect(registry.list().find((p) => p.name === "hostile")).toMatchObject({
      status: "failed",
      isolation: "worker",
      error:
        "its worker died 3 times within 60 s (last: it was terminated: handler hang ran past the 400 ms handler timeout)",
    });
    const messages = logs.warnings().map((w) => w.msg);
    expect(
      messages.filter((m) => m === `plugin "hostile" handler hang timed out after 400 ms on message_sent`),
    ).toHaveLength(3);
    expect(messages.filter((m) => /^plugin "hostile" worker was terminated: .*; restarting it/.test(m))).toHaveLength(
      2,
    );
    expect(messages.filter((m) => /^plugin "hostile" failed: its worker died 3 times/.test(m))).toHaveLength(1);
    expect(messages).toHaveLength(6);
  });

  it("setup() throws: skipped with one WARN, status failed with the cause", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        override async setup() { throw new Error("no token"); }
        @hook("message_sent") never() { out.push({ plugin: "hostile", fields: {} }); }
      }`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(registry.list().find((p) => p.name === "hostile")).toMatchObject({
      status: "failed",
      error: "setup() threw: no token",
    });
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]).toMatchObject({ plugin: "hostile" });
  });

  it("setup() never settles: load() still finishes after the setup timeout, one WARN, the plugin is skipped", async () => {
    const { registry, logs, good, expected, hostileRecords } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        override setup() { return new Promise<void>(() => {}); }
        @hook("message_sent") never() { out.push({ plugin: "hostile", fields: {} }); }
      }`,
      { setupTimeoutMs: SETUP_TIMEOUT[mode] },
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(hostileRecords()).toEqual([]);
    expect(registry.list().find((p) => p.name === "hostile")).toMatchObject({
      status: "failed",
      error: `setup() did not settle within ${SETUP_TIMEOUT[mode]} ms`,
    });
    expect(logs.warnings()).toHaveLength(1);
  });

  it("teardown() never settles: registry.teardown() still returns after the teardown timeout, with one WARN", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        override teardown() { return new Promise<void>(() => {}); }
        @hook("message_sent") async fine() {}
      }`,
      { teardownTimeoutMs: 200 },
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(logs.warnings()).toHaveLength(0);
    await registry.teardown();
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ plugin: "hostile" });
    expect(warnings[0]!.msg).toMatch(/teardown\(\) did not settle within 200 ms/);
  });

  it("the module throws at import: skipped with one WARN carrying the error", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `throw new Error("exploded at import"); export default {};`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/"hostile" skipped: import failed: exploded at import/);
  });

  it("a syntax error: skipped with one WARN", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `export default class { @hook("message_sent" async x( {} }`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/"hostile" skipped: import failed/);
    expect(registry.list().find((p) => p.name === "hostile")!.status).toBe("failed");
  });

  it("a default export that is not a plugin: skipped with one WARN saying what was found", async () => {
    const { registry, logs, good, expected } = await withHostile(mode, `export default { hello: "world" };`);
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/"hostile" skipped: .*not a plugin/i);
  });

  it("a handler that mutates its event: the write fails (one WARN each), and the good plugin sees the original", async () => {
    const { registry, logs, good, expected } = await withHostile(
      mode,
      `${PREAMBLE}
      export default class H extends CaoPlugin {
        @hook("message_sent") rewrite(e: any) { e.message = "HIJACKED"; }
        @hook("message_sent") retime(e: any) { e.timestamp.setTime(0); }
      }`,
    );
    expect(await registry.drain(30_000)).toBe(true);
    expect(sessionIds(good())).toEqual(expected);
    for (const r of good().filter((r) => r.eventType === "message_sent")) {
      expect(r.fields.message).toMatch(/^#\d+$/);
      expect((r.fields.timestamp as Date).getTime()).toBeGreaterThan(0);
    }
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(2 * MESSAGES);
    expect(warnings.filter((w) => w.handler === "rewrite")).toHaveLength(MESSAGES);
    expect(warnings.filter((w) => w.handler === "retime")).toHaveLength(MESSAGES);
    expect(warnings.find((w) => w.handler === "retime")!.msg).toMatch(/read-only/);
  });
});

describe("a plugin's stray unhandled rejection", () => {
  it("does not take the process down: a real Node process logs one WARN naming the plugin and keeps delivering", async () => {
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "stray.ts"),
      `import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
       export default class Stray extends CaoPlugin {
         @hook("message_sent") fireAndForget() { void Promise.reject(new Error("nobody awaited me")); }
       }`,
    );
    writeFile(
      path.join(home, "plugins", "good.ts"),
      `let count = 0;
       export default { hooks: { message_sent() { count++; } }, teardown() { console.log("GOOD RECEIVED " + count); } };`,
    );
    const dist = path.resolve("dist/index.js");
    // The registry logs to stderr as JSON; the script prints the good plugin's count to stdout and exits 0.
    const script = `
      import pino from "pino";
      import { PluginRegistry, MessageSentEvent } from ${JSON.stringify(dist)};
      const logger = pino({ level: "info" }, pino.destination(2));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger });
      await registry.load();
      for (let i = 0; i < 3; i++) {
        registry.dispatch(new MessageSentEvent({ sessionId: "cao-x", sender: "0000aaaa", receiver: "1111bbbb", message: "m" + i, orchestrationType: "assign" }));
        await new Promise((r) => setTimeout(r, 20));
      }
      await registry.drain(2000);
      await new Promise((r) => setTimeout(r, 50));
      await registry.teardown();
      console.log("STILL ALIVE");
    `;
    const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: process.cwd(),
    });
    expect(stdout).toContain("GOOD RECEIVED 3");
    expect(stdout).toContain("STILL ALIVE");
    const lines = stderr
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; plugin?: string; msg: string });
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(3);
    for (const w of warnings) {
      expect(w.plugin).toBe("stray");
      expect(w.msg).toContain("nobody awaited me");
    }
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe("a plugin's exception thrown outside any handler (a timer callback)", () => {
  async function runChild(guard: boolean, extra = "") {
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "timer.ts"),
      `export default { hooks: { message_sent() { setTimeout(() => { throw new Error("thrown from a timer"); }, 0); } } };`,
    );
    writeFile(
      path.join(home, "plugins", "good.ts"),
      `let n = 0; export default { hooks: { message_sent() { n++; } }, teardown() { console.log("GOOD RECEIVED " + n); } };`,
    );
    const dist = path.resolve("dist/index.js");
    const script = `
      import pino from "pino";
      import { PluginRegistry, MessageSentEvent } from ${JSON.stringify(dist)};
      const logger = pino({ level: "info" }, pino.destination({ fd: 2, sync: true }));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger, guardUncaughtExceptions: ${guard} });
      await registry.load();
      for (let i = 0; i < 3; i++) {
        registry.dispatch(new MessageSentEvent({ sessionId: "cao-x", sender: "0000aaaa", receiver: "1111bbbb", message: "m" + i, orchestrationType: "assign" }));
        await new Promise((r) => setTimeout(r, 20));
      }
      ${extra}
      await registry.teardown();
      console.log("STILL ALIVE");
    `;
    try {
      const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("with the guard (as cao server runs): one WARN per throw naming the plugin, and the process goes on", async () => {
    const { code, stdout, stderr } = await runChild(true);
    expect(code).toBe(0);
    expect(stdout).toContain("GOOD RECEIVED 3");
    expect(stdout).toContain("STILL ALIVE");
    const warnings = stderr
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; plugin?: string; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings).toHaveLength(3);
    for (const w of warnings)
      expect(w).toMatchObject({
        plugin: "timer",
        msg: 'plugin "timer" threw outside any handler: thrown from a timer',
      });
  });

  it("with the guard, an exception that is not a plugin's still ends the process with code 1, logged as fatal", async () => {
    const { code, stdout, stderr } = await runChild(
      true,
      `setTimeout(() => { throw new Error("host bug"); }, 0); await new Promise((r) => setTimeout(r, 200));`,
    );
    expect(code).toBe(1);
    expect(stdout).not.toContain("STILL ALIVE");
    expect(stderr).toMatch(/"level":60.*uncaught exception: host bug/);
  });

  it("without the guard (the library default) Node's own behaviour stands: the process dies", async () => {
    const { code, stdout } = await runChild(false);
    expect(code).not.toBe(0);
    expect(stdout).not.toContain("STILL ALIVE");
  });
});
