/**
 * Worker isolation (docs/contract.md#plugin-api) through real drop-in files, real jiti and real worker threads: a plugin set to
 * isolation "worker" runs in its own thread, gets every event rebuilt as its own class, and is restarted when it loops,
 * exhausts its heap or dies; after 3 deaths within 60 s it is failed.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PluginRegistry, RegistryOptions } from "../src/plugins/host/index.js";
import { eventStream } from "./helpers/events.js";
import { fileRecorderSource, readRecords, type RecorderOptions } from "./helpers/file-recorder.js";
import { removeTempDirs, tempDir, writeFile, writePackage } from "./helpers/fs-fixtures.js";
import { pluginFixture } from "./helpers/plugin-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { waitFor } from "./helpers/wait.js";

// Worker start-ups and restarts take seconds each on a busy machine; no test here asserts a duration.
vi.setConfig({ testTimeout: 120_000 });

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

/** The session ids of what a file recorder received, in order (event i carries "cao-s<i>"). */
const sessions = (records: readonly { fields: Record<string, unknown> }[]) => records.map((r) => r.fields.session_id);

/**
 * Starting a worker from the TypeScript sources (jiti in the thread, Babel for the plugin on a cold transpile cache)
 * takes seconds on a busy machine; the setup deadline covers it, so the tests give it room. Nothing here is timed.
 */
const SETUP_TIMEOUT_MS = 30_000;

async function load(home: string, options: Partial<RegistryOptions> = {}) {
  return startRegistry({ home, setupTimeoutMs: SETUP_TIMEOUT_MS, ...options });
}

/** A home whose plugins dir holds a recorder drop-in per name; returns the home and each recorder's record file. */
function homeWithRecorders(plugins: Record<string, RecorderOptions>) {
  const home = tempDir();
  const files: Record<string, string> = {};
  for (const [name, options] of Object.entries(plugins)) {
    files[name] = path.join(home, `${name}.jsonl`);
    writeFile(path.join(home, "plugins", `${name}.ts`), fileRecorderSource(files[name], name, options));
  }
  return { home, files };
}

describe('a plugin with isolation "worker"', () => {
  it("gets every event rebuilt as its own class, frozen, with the fields the inline plugin sees, in order", async () => {
    const { home, files } = homeWithRecorders({ isolated: {}, inline: {} });
    const { registry } = await load(home, { plugins: { isolated: { isolation: "worker" } } });
    expect(registry.list().map((p) => [p.name, p.status, p.isolation])).toEqual([
      ["inline", "active", "inline"],
      ["isolated", "active", "worker"],
    ]);
    const events = eventStream(25);
    for (const event of events) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    const isolated = readRecords(files.isolated!);
    const inline = readRecords(files.inline!);
    expect(sessions(isolated)).toEqual(events.map((e) => e.sessionId));
    for (const [i, record] of isolated.entries()) {
      expect(record.threadId).toBeGreaterThan(0);
      expect(record).toMatchObject({ isCaoEvent: true, isOwnClass: true, frozen: true, timestampIsDate: true });
      expect(record.className).toBe(events[i]!.constructor.name);
      expect(record.fields).toEqual(JSON.parse(JSON.stringify(events[i])));
      expect(record.fields).toEqual(inline[i]!.fields);
    }
    expect(inline.every((r) => r.threadId === 0)).toBe(true);
    expect(registry.stats().isolated).toEqual({ delivered: 25, failed: 0, timedOut: 0, dropped: 0, pending: 0 });
  });
});

/** A file the plugin writes to say where it is (setup ran, a loop began), read by the test. */
const marks = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("choosing the isolation", () => {
  it('a plugin\'s own `static isolation = "worker"` and definePlugin `isolation: "worker"` run it in a worker; the registry\'s setting wins over both', async () => {
    const { home, files } = homeWithRecorders({
      declared: { isolation: "worker" },
      overruled: { isolation: "worker" },
    });
    const defined = path.join(home, "defined.jsonl"); // where the fixture writes, in its CAO_HOME
    writeFile(path.join(home, "plugins", "defined.ts"), pluginFixture("worker-defined.ts"));
    const { registry } = await load(home, { plugins: { overruled: { isolation: "inline" } } });
    expect(registry.list().map((p) => [p.name, p.status, p.isolation])).toEqual([
      ["declared", "active", "worker"],
      ["defined", "active", "worker"],
      ["overruled", "active", "inline"],
    ]);
    for (const event of eventStream(5)) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    expect(readRecords(files.declared!).map((r) => r.threadId > 0)).toEqual([true, true, true, true, true]);
    expect(readRecords(files.overruled!).map((r) => r.threadId)).toEqual([0, 0, 0, 0, 0]);
    expect(marks(defined).map(Number)).toEqual([expect.any(Number)]);
    expect(Number(marks(defined)[0])).toBeGreaterThan(0);
  });

  it('an isolation that is neither "inline" nor "worker" fails the plugin with a clear error', async () => {
    const { home } = homeWithRecorders({ odd: {}, declaredOdd: { isolation: "process" as never } });
    const { registry, logs } = await load(home, { plugins: { odd: { isolation: "thread" as never } } });
    const rows = Object.fromEntries(registry.list().map((p) => [p.name, p]));
    expect(rows.odd).toMatchObject({
      status: "failed",
      error: `the registry's setting plugins.<name>.isolation must be "inline" or "worker", got "thread"`,
    });
    expect(rows.declaredOdd).toMatchObject({
      status: "failed",
      error: `its declared isolation must be "inline" or "worker", got "process"`,
    });
    expect(logs.warnings()).toHaveLength(2);
  });

  it("registry.add() refuses worker isolation for an in-memory plugin, with a clear error, and registers nothing", async () => {
    const home = tempDir();
    const { registry } = await load(home, { plugins: { viaSetting: { isolation: "worker" } } });
    const plugin = { hooks: { message_sent() {} } };
    await expect(registry.add("viaSetting", plugin)).rejects.toThrow(
      /cannot run in a worker thread.*drop-in file or an npm package/,
    );
    await expect(registry.add("declared", { isolation: "worker", hooks: { message_sent() {} } })).rejects.toThrow(
      /cannot run in a worker thread/,
    );
    expect(registry.list()).toEqual([]);
    expect(await registry.add("plain", plugin)).toMatchObject({ name: "plain", status: "active", isolation: "inline" });
  });
});

/**
 * A recorder whose handler misbehaves once per `trigger` event (`fault` is its code), recording every other call;
 * setup() appends "setup <threadId>" to the marks file, so restarts show.
 */
function faultyRecorder(home: string, fault: string, trigger = "e.message === '#2'") {
  const file = path.join(home, "faulty.jsonl");
  const markFile = path.join(home, "faulty.marks");
  const source = fileRecorderSource(file, "faulty", {
    preamble: `const MARKS = ${JSON.stringify(markFile)};`,
    body: `
      override async setup() { fs.appendFileSync(MARKS, "setup " + threadId + "\\n"); }
      @hook("message_sent") misbehave(e: any) {
        if (!(${trigger})) return;
        fs.appendFileSync(MARKS, "fault " + threadId + "\\n");
        ${fault}
      }`,
  });
  writeFile(path.join(home, "plugins", "faulty.ts"), source);
  return { file, markFile };
}

/** 20 events; event 2 (message "#2") is the first message_sent, then 7, 12, 17. */
async function dispatchAll(registry: PluginRegistry, count = 20) {
  const events = eventStream(count);
  for (const event of events) registry.dispatch(event);
  return events.map((e) => e.sessionId);
}

describe("a worker plugin that misbehaves is ended and restarted; later events reach the new instance", () => {
  it("a handler in `while (true) {}`: terminated at the handler timeout, one timeout WARN and one restart WARN, setup() again, every later event delivered", async () => {
    const home = tempDir();
    const { file, markFile } = faultyRecorder(home, "while (true) {}");
    const { registry, logs } = await load(home, {
      plugins: { faulty: { isolation: "worker" } },
      handlerTimeoutMs: 500,
    });
    const expected = await dispatchAll(registry);
    expect(await registry.drain(60_000)).toBe(true);
    expect(sessions(readRecords(file))).toEqual(expected);
    const [setup1, fault, setup2, ...rest] = marks(markFile);
    expect(rest).toEqual([]);
    expect(setup1).toMatch(/^setup \d+$/);
    expect(fault).toBe(`fault ${setup1!.split(" ")[1]}`);
    expect(setup2).toMatch(/^setup \d+$/);
    expect(setup2).not.toBe(setup1);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      `plugin "faulty" handler misbehave timed out after 500 ms on message_sent`,
      `plugin "faulty" worker was terminated: handler misbehave ran past the 500 ms handler timeout; restarting it (1 of 3 deaths allowed within 60 s)`,
    ]);
    expect(registry.stats().faulty).toMatchObject({ timedOut: 1, failed: 0, pending: 0 });
    expect(registry.list()[0]).toMatchObject({ name: "faulty", status: "active", isolation: "worker" });
  });

  it("a handler that allocates without end: the worker runs out of its heap and dies, the plugin is restarted, later events delivered", async () => {
    const home = tempDir();
    const { file, markFile } = faultyRecorder(
      home,
      "const hoard: unknown[] = []; for (;;) hoard.push(new Array(100_000).fill(Math.random()));",
    );
    const { registry, logs } = await load(home, { plugins: { faulty: { isolation: "worker" } }, workerHeapMb: 32 });
    const expected = await dispatchAll(registry);
    expect(await registry.drain(60_000)).toBe(true);
    expect(sessions(readRecords(file))).toEqual(expected);
    expect(marks(markFile).filter((m) => m.startsWith("setup"))).toHaveLength(2);
    const warnings = logs.warnings();
    expect(warnings.map((w) => w.msg)).toEqual([
      `plugin "faulty" worker ran out of memory (heap limit 32 MB); restarting it (1 of 3 deaths allowed within 60 s)`,
    ]);
    // The call in flight was abandoned: counted as timed out, not as delivered.
    expect(registry.stats().faulty).toMatchObject({ timedOut: 1, failed: 0, pending: 0 });
  });

  it("process.exit() in a handler ends only the plugin's thread: restarted, the test process goes on", async () => {
    const home = tempDir();
    const { file } = faultyRecorder(home, "process.exit(7);");
    const { registry, logs } = await load(home, { plugins: { faulty: { isolation: "worker" } } });
    const expected = await dispatchAll(registry);
    expect(await registry.drain(60_000)).toBe(true);
    expect(sessions(readRecords(file))).toEqual(expected);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      `plugin "faulty" worker exited with code 7; restarting it (1 of 3 deaths allowed within 60 s)`,
    ]);
  });

  it("an exception thrown from the plugin's timer kills its thread, not the process: restarted with a WARN carrying the error", async () => {
    const home = tempDir();
    const { file } = faultyRecorder(
      home,
      `setTimeout(() => { throw new Error("from a timer"); }, 0); await new Promise((r) => setTimeout(r, 5000));`,
    );
    // The fault is in an async handler here: make misbehave async by awaiting inside it.
    const source = fs
      .readFileSync(path.join(home, "plugins", "faulty.ts"), "utf8")
      .replace('@hook("message_sent") misbehave(', '@hook("message_sent") async misbehave(');
    writeFile(path.join(home, "plugins", "faulty.ts"), source);
    const { registry, logs } = await load(home, { plugins: { faulty: { isolation: "worker" } } });
    const expected = await dispatchAll(registry);
    expect(await registry.drain(60_000)).toBe(true);
    expect(sessions(readRecords(file))).toEqual(expected);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      `plugin "faulty" worker died of an uncaught exception: from a timer; restarting it (1 of 3 deaths allowed within 60 s)`,
    ]);
    expect(registry.stats().faulty).toMatchObject({ timedOut: 1, pending: 0 });
  });

  it("a stray promise rejection in the worker is a WARN naming the plugin, as inline; the worker goes on (no restart)", async () => {
    const home = tempDir();
    const { file, markFile } = faultyRecorder(home, `void Promise.reject(new Error("nobody awaited me"));`, "true");
    const { registry, logs } = await load(home, { plugins: { faulty: { isolation: "worker" } } });
    const expected = await dispatchAll(registry);
    expect(await registry.drain(60_000)).toBe(true);
    await waitFor(() => logs.warnings().length >= 4, 30_000, "four WARNs");
    expect(sessions(readRecords(file))).toEqual(expected);
    expect(marks(markFile).filter((m) => m.startsWith("setup"))).toHaveLength(1);
    expect(logs.warnings().map((w) => [w.plugin, w.msg])).toEqual(
      Array(4).fill(["faulty", `plugin "faulty" left a promise rejection unhandled: nobody awaited me`]),
    );
  });

  it("3 deaths within 60 s: the plugin is failed with the reason, stops receiving, and the other plugin gets every event", async () => {
    const home = tempDir();
    faultyRecorder(home, "process.exit(3);", "true");
    writeFile(path.join(home, "plugins", "good.ts"), fileRecorderSource(path.join(home, "good.jsonl"), "good"));
    const { registry, logs } = await load(home, { plugins: { faulty: { isolation: "worker" } } });
    const expected = await dispatchAll(registry);
    await waitFor(
      () => registry.list().find((p) => p.name === "faulty")!.status === "failed",
      90_000,
      "faulty to be failed",
    );
    expect(await registry.drain(60_000)).toBe(true);
    expect(sessions(readRecords(path.join(home, "good.jsonl")))).toEqual(expected);
    const row = registry.list().find((p) => p.name === "faulty")!;
    expect(row).toMatchObject({
      status: "failed",
      isolation: "worker",
      error: "its worker died 3 times within 60 s (last: it exited with code 3)",
    });
    const warnings = logs.warnings().map((w) => w.msg);
    expect(warnings.slice(0, 2)).toEqual([
      `plugin "faulty" worker exited with code 3; restarting it (1 of 3 deaths allowed within 60 s)`,
      `plugin "faulty" worker exited with code 3; restarting it (2 of 3 deaths allowed within 60 s)`,
    ]);
    expect(warnings[2]).toMatch(
      /^plugin "faulty" failed: its worker died 3 times within 60 s \(last: it exited with code 3\); \d+ queued events discarded$/,
    );
    expect(warnings).toHaveLength(3);
    expect(registry.stats().faulty).toBeUndefined();
    // Failed stays failed: later events go nowhere near it, and nothing is logged for them.
    for (const event of eventStream(5)) registry.dispatch(event);
    expect(await registry.drain(5000)).toBe(true);
    expect(logs.warnings()).toHaveLength(3);
  });
});

/** Threads of this process now (Linux): a worker plugin's thread shows here while it runs. */
const threads = () => fs.readdirSync("/proc/self/task").length;

describe("lifecycle of a worker plugin", () => {
  it("teardown() runs in the worker, then the thread ends: no thread is left behind", async () => {
    await fs.promises.readFile(__filename); // libuv's thread pool starts on first use: start it before counting
    const before = threads();
    const home = tempDir();
    const markFile = path.join(home, "marks");
    writeFile(
      path.join(home, "plugins", "tidy.ts"),
      fileRecorderSource(path.join(home, "tidy.jsonl"), "tidy", {
        isolation: "worker",
        preamble: `const MARKS = ${JSON.stringify(markFile)};`,
        body: `override async setup() { fs.appendFileSync(MARKS, "setup " + threadId + "\\n"); }
               override async teardown() { await new Promise((r) => setTimeout(r, 50)); fs.appendFileSync(MARKS, "teardown " + threadId + "\\n"); }`,
      }),
    );
    const { registry, logs } = await load(home);
    expect(threads()).toBe(before + 1);
    await registry.teardown();
    const [setup, teardown] = marks(markFile);
    expect(teardown).toBe(setup!.replace("setup", "teardown"));
    expect(threads()).toBe(before);
    expect(logs.warnings()).toEqual([]);
  });

  it("a setup() that never settles in the worker: failed at the setup timeout, and its thread is ended", async () => {
    await fs.promises.readFile(__filename);
    const before = threads();
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "stuck.ts"),
      fileRecorderSource(path.join(home, "stuck.jsonl"), "stuck", {
        isolation: "worker",
        body: `override setup() { return new Promise<void>(() => {}); }`,
      }),
    );
    const { registry, logs } = await load(home, { setupTimeoutMs: 20_000 });
    expect(registry.list()).toMatchObject([
      { name: "stuck", status: "failed", isolation: "worker", error: "setup() did not settle within 20000 ms" },
    ]);
    expect(logs.warnings()).toHaveLength(1);
    await waitFor(() => threads() === before, 10_000, "the worker thread to end");
  });

  it("a module that fails to import in its worker is failed with the import error, like inline", async () => {
    const home = tempDir();
    writeFile(path.join(home, "plugins", "broken.ts"), `throw new Error("exploded at import"); export default {};`);
    const { registry } = await load(home, { plugins: { broken: { isolation: "worker" } } });
    expect(registry.list()).toMatchObject([
      { name: "broken", status: "failed", isolation: "worker", error: "import failed: exploded at import" },
    ]);
  });

  it("an npm package plugin runs in a worker too (imported natively there), set by the registry's setting", async () => {
    const home = tempDir();
    const file = path.join(home, "npm.jsonl");
    writePackage(
      path.join(home, "node_modules"),
      "cao-plugin-npm-worker",
      { keywords: ["cao-plugin"], type: "module", main: "index.js" },
      {
        "index.js": `import fs from "node:fs";
        import { threadId } from "node:worker_threads";
        export default { hooks: { message_sent(e) { fs.appendFileSync(${JSON.stringify(file)}, threadId + " " + e.constructor.name + " " + e.message + "\\n"); } } };`,
      },
    );
    const { registry } = await load(home, { plugins: { "cao-plugin-npm-worker": { isolation: "worker" } } });
    expect(registry.list(), registry.list()[0]?.error).toMatchObject([
      { name: "cao-plugin-npm-worker", source: "npm", status: "active", isolation: "worker" },
    ]);
    for (const event of eventStream(10)) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    const lines = marks(file).map((line) => line.split(" "));
    expect(lines.map(([, cls, message]) => [cls, message])).toEqual([
      ["MessageSentEvent", "#2"],
      ["MessageSentEvent", "#7"],
    ]);
    expect(Number(lines[0]![0])).toBeGreaterThan(0);
  });

  it("what the plugin logs through its logger reaches the server's log, named after the plugin", async () => {
    const home = tempDir();
    writeFile(path.join(home, "plugins", "talker.ts"), pluginFixture("worker-logger.ts"));
    const { registry, logs } = await load(home);
    for (const event of eventStream(3)) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    expect(logs.lines.find((l) => l.msg === "hello from the worker")).toMatchObject({
      level: 30,
      plugin: "talker",
      step: "setup",
    });
    expect(logs.warnings()).toEqual([
      expect.objectContaining({ plugin: "talker", message: "#2", msg: "saw a message" }),
    ]);
  });

  it("hot reload of a worker drop-in: the new version runs in a new worker, the old one is torn down, no event lost", async () => {
    const home = tempDir();
    const file = path.join(home, "hot.jsonl");
    const markFile = path.join(home, "marks");
    const version = (v: number) =>
      fileRecorderSource(file, "hot", {
        isolation: "worker",
        version: v,
        preamble: `const MARKS = ${JSON.stringify(markFile)};`,
        body: `override async teardown() { fs.appendFileSync(MARKS, "teardown v${v} " + threadId + "\\n"); }`,
      });
    writeFile(path.join(home, "plugins", "hot.ts"), version(1));
    const { registry, logs } = await load(home, { watch: true });
    const events = eventStream(40);
    for (const event of events.slice(0, 20)) registry.dispatch(event);
    writeFile(path.join(home, "plugins", "hot.ts"), version(2));
    for (const event of events.slice(20, 30)) registry.dispatch(event);
    await waitFor(() => logs.infos().some((l) => l.msg === `plugin "hot" reloaded`), 60_000, "the reload");
    for (const event of events.slice(30)) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    const records = readRecords(file);
    expect(sessions(records)).toEqual(events.map((e) => e.sessionId));
    const versions = records.map((r) => r.version);
    expect(versions.at(-1)).toBe(2);
    expect(versions).toEqual([...versions].sort()); // all of v1, then all of v2
    const v1Thread = records.find((r) => r.version === 1)!.threadId;
    const v2Thread = records.find((r) => r.version === 2)!.threadId;
    expect(v2Thread).not.toBe(v1Thread);
    expect(marks(markFile)).toEqual([`teardown v1 ${v1Thread}`]);
    expect(registry.list()).toMatchObject([{ name: "hot", status: "active", isolation: "worker" }]);
    expect(logs.warnings()).toEqual([]);
  });
});

describe("what a worker plugin does to its globals stays in its thread", () => {
  it("replacing Object.prototype, Array.prototype.push, Array.prototype.map, JSON.parse/stringify and fetch: this process and an inline plugin are untouched", async () => {
    const { home, files } = homeWithRecorders({
      vandal: {
        isolation: "worker",
        body: `@hook("message_sent") vandalise() {
          (Object.prototype as any).polluted = "yes";
          Array.prototype.push = function () { throw new Error("push hijacked"); };
          Array.prototype.map = function () { return ["hijacked"]; } as any;
          JSON.parse = () => ({ hijacked: true });
          JSON.stringify = () => "hijacked";
          (globalThis as any).fetch = () => { throw new Error("fetch hijacked"); };
        }`,
      },
      bystander: {},
    });
    const { registry } = await load(home);
    const events = eventStream(20);
    for (const event of events) registry.dispatch(event);
    expect(await registry.drain(60_000)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const list: number[] = [];
    list.push(1);
    expect([1, 2].map((n) => n * 2)).toEqual([2, 4]);
    expect(JSON.parse(JSON.stringify({ a: 1 }))).toEqual({ a: 1 });
    expect(typeof fetch).toBe("function");
    expect(sessions(readRecords(files.bystander!))).toEqual(events.map((e) => e.sessionId));
    // The vandal itself keeps receiving (its recorder appends with JSON.stringify, now "hijacked", after the first message).
    expect(registry.stats().vandal).toMatchObject({ delivered: 20 + 4, failed: 0, timedOut: 0 }); // 20 records, 4 vandalisms
  });
});

describe("a worker plugin that dies in teardown()", () => {
  it("is not restarted: teardown() reports it (one WARN) and the thread is gone", async () => {
    await fs.promises.readFile(__filename);
    const before = threads();
    const home = tempDir();
    const markFile = path.join(home, "marks");
    writeFile(
      path.join(home, "plugins", "quitter.ts"),
      fileRecorderSource(path.join(home, "quitter.jsonl"), "quitter", {
        isolation: "worker",
        preamble: `const MARKS = ${JSON.stringify(markFile)};`,
        body: `override async setup() { fs.appendFileSync(MARKS, "setup\\n"); }
               override async teardown() { process.exit(5); }`,
      }),
    );
    const { registry, logs } = await load(home);
    await registry.teardown();
    expect(marks(markFile)).toEqual(["setup"]);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      `plugin "quitter" teardown() threw: its worker exited with code 5`,
    ]);
    await waitFor(() => threads() === before, 10_000, "the worker thread to end");
  });
});

describe("a worker plugin's config (docs/contract.md#configyaml, isolation)", () => {
  /** A definePlugin drop-in whose hand-written Standard Schema requires `{ greeting: string }`; setup writes what it got. */
  function configuredDropIn(home: string, out: string): void {
    writeFile(
      path.join(home, "plugins", "configured.ts"),
      `import fs from "node:fs";
       import { threadId } from "node:worker_threads";
       const schema = { "~standard": { version: 1, vendor: "test", validate(value: any) {
         if (typeof value?.greeting !== "string") return { issues: [{ message: "expected a string", path: ["greeting"] }] };
         return { value: { greeting: value.greeting.toUpperCase() } };
       } } };
       export default { config: schema, hooks: {},
         setup(context: any) { fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ config: context.config, threadId })); } };`,
    );
  }

  it("is interpolated in the server and validated by the plugin's schema in its worker; the plugin sees the output", async () => {
    const home = tempDir();
    const out = path.join(home, "setup.json");
    configuredDropIn(home, out);
    const { registry } = await load(home, {
      env: { CAO_HOME: home, GREETING: "hello" },
      plugins: { configured: { isolation: "worker", config: { greeting: "${GREETING}" } } },
    });
    expect(registry.list().map((p) => [p.name, p.status, p.isolation])).toEqual([["configured", "active", "worker"]]);
    const seen = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(seen.config).toEqual({ greeting: "HELLO" });
    expect(seen.threadId).toBeGreaterThan(0);
  });

  it("an invalid config fails the worker plugin with the field named, and its setup never runs", async () => {
    const home = tempDir();
    const out = path.join(home, "setup.json");
    configuredDropIn(home, out);
    const { registry } = await load(home, {
      plugins: { configured: { isolation: "worker", config: { greeting: 42 } } },
    });
    const [row] = registry.list();
    expect(row).toMatchObject({ name: "configured", status: "failed", isolation: "worker" });
    expect(row!.error).toMatch(/config\.greeting: expected a string/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
