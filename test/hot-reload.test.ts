/**
 * Hot reload of the drop-in directory through real files, real chokidar events and real jiti imports:
 * add, change, broken change, fix, delete, a folder plugin's helper, and a churn test where a steady stream of
 * events meets many rewrites of the file.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { eventAt, sessionIds } from "./helpers/events.js";
import { captureLogs } from "./helpers/log-capture.js";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

let caseNo = 0;

async function watching(options: { watch?: boolean } = {}) {
  const key = `reload-${++caseNo}`;
  const home = tempDir();
  const dir = path.join(home, "plugins");
  fs.mkdirSync(dir, { recursive: true });
  const logs = captureLogs();
  const start = async () => (await startRegistry({ home, logs, watch: options.watch ?? true })).registry;
  return { key, dir, logs, start, received: sink<Received>(key), lifecycle: sink<string>(`${key}-life`) };
}

/** A recorder that also logs `setup vN` / `teardown vN` into the `<key>-life` sink. */
function versioned(key: string, version: number): string {
  const life = JSON.stringify(`${key}-life`);
  return recorderSource(
    key,
    "live",
    version,
    `  override async setup() { ((globalThis as any).__caoTestSinks[${life}] ??= []).push("setup v${version}"); }
  override async teardown() { ((globalThis as any).__caoTestSinks[${life}] ??= []).push("teardown v${version}"); }`,
  );
}

describe("hot reload (real chokidar)", () => {
  it("add: a file dropped into the watched dir is loaded and receives the next event", async () => {
    const t = await watching();
    const registry = await t.start();
    expect(registry.list()).toEqual([]);
    writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    await waitFor(
      () => registry.list().some((p) => p.name === "live" && p.status === "active"),
      10_000,
      "live to load",
    );
    expect(t.lifecycle).toEqual(["setup v1"]);
    registry.dispatch(eventAt(2));
    expect(await registry.drain(2000)).toBe(true);
    expect(t.received.map((r) => [r.version, r.fields.sessionId])).toEqual([[1, "cao-s2"]]);
    expect(t.logs.infos().some((l) => l.msg === 'plugin "live" loaded')).toBe(true);
    expect(t.logs.warnings()).toEqual([]);
  });

  it("change, broken change, fix: v2 replaces v1 (teardown before setup); a broken save keeps v2 running with one WARN; the fix loads v3", async () => {
    const t = await watching();
    const file = writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    const registry = await t.start();

    writeFile(file, versioned(t.key, 2));
    await waitFor(() => t.lifecycle.includes("setup v2"), 10_000, "setup v2");
    expect(t.lifecycle).toEqual(["setup v1", "teardown v1", "setup v2"]);
    registry.dispatch(eventAt(0));
    await registry.drain(2000);

    writeFile(
      file,
      `import { CaoPlugin } from "cli-agent-orchestrator/plugins";\nexport default class Broken extends CaoPlugin {`,
    );
    await waitFor(() => t.logs.warnings().length > 0, 10_000, "the broken save to be reported");
    const warning = t.logs.warnings()[0]!;
    expect(warning).toMatchObject({ plugin: "live" });
    expect(warning.msg).toMatch(/^plugin "live" not reloaded, the running version stays: import failed/);
    registry.dispatch(eventAt(1));
    await registry.drain(2000);
    expect(registry.list()[0]).toMatchObject({ name: "live", status: "active" });

    writeFile(file, versioned(t.key, 3));
    await waitFor(() => t.lifecycle.includes("setup v3"), 10_000, "setup v3");
    registry.dispatch(eventAt(2));
    await registry.drain(2000);

    expect(t.lifecycle).toEqual(["setup v1", "teardown v1", "setup v2", "teardown v2", "setup v3"]);
    expect(t.received.map((r) => [r.version, r.fields.sessionId])).toEqual([
      [2, "cao-s0"],
      [2, "cao-s1"], // the broken save changed nothing
      [3, "cao-s2"],
    ]);
    expect(t.logs.warnings()).toHaveLength(1);
  });

  it("delete: the plugin is torn down and unregistered, and gets no more events", async () => {
    const t = await watching();
    const file = writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    const registry = await t.start();
    registry.dispatch(eventAt(0));
    await registry.drain(2000);
    fs.unlinkSync(file);
    await waitFor(() => registry.list().length === 0, 10_000, "live to be unregistered");
    expect(t.lifecycle).toEqual(["setup v1", "teardown v1"]);
    registry.dispatch(eventAt(1));
    await registry.drain(2000);
    expect(sessionIds(t.received)).toEqual(["cao-s0"]);
    expect(t.logs.infos().some((l) => l.msg === 'plugin "live" unloaded')).toBe(true);
  });

  it("a folder plugin reloads when a helper file beside its index changes, and the new helper is used", async () => {
    const t = await watching();
    const folder = path.join(t.dir, "folder");
    writeFile(path.join(folder, "label.ts"), `export const label = "first";`);
    writeFile(
      path.join(folder, "index.ts"),
      `import { definePlugin } from "cli-agent-orchestrator/plugins";
       import { label } from "./label.ts";
       const out = ((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(t.key)}] ??= [];
       export default definePlugin({ hooks: { session_created(e: any) { out.push({ plugin: label, fields: { sessionId: e.sessionId } }); } } });`,
    );
    const registry = await t.start();
    expect(registry.list()).toEqual([expect.objectContaining({ name: "folder", status: "active" })]);
    registry.dispatch(eventAt(0));
    await registry.drain(2000);
    writeFile(path.join(folder, "label.ts"), `export const label = "second";`);
    await waitFor(() => t.logs.infos().some((l) => l.msg === 'plugin "folder" reloaded'), 10_000, "folder to reload");
    registry.dispatch(eventAt(5));
    await registry.drain(2000);
    expect(t.received.map((r) => [r.plugin, r.fields.sessionId])).toEqual([
      ["first", "cao-s0"],
      ["second", "cao-s5"],
    ]);
  });

  it("a plain-JavaScript .mjs drop-in reloads too (it is transpiled by jiti, not cached by Node's ESM loader)", async () => {
    const t = await watching();
    const source = (version: number) =>
      `const out = ((globalThis.__caoTestSinks ??= {})[${JSON.stringify(t.key)}] ??= []);
       const version = await Promise.resolve(${version}); // top-level await works in drop-ins
       export default { hooks: { session_created(e) { out.push({ version, fields: { sessionId: e.sessionId } }); } } };`;
    const file = writeFile(path.join(t.dir, "plain.mjs"), source(1));
    const registry = await t.start();
    writeFile(file, source(2));
    await waitFor(() => t.logs.infos().some((l) => l.msg === 'plugin "plain" reloaded'), 10_000, "plain.mjs to reload");
    registry.dispatch(eventAt(0));
    await registry.drain(2000);
    expect(t.received.map((r) => [r.version, r.fields.sessionId])).toEqual([[2, "cao-s0"]]);
  });

  it("churn: a steady stream of events while the file is rewritten many times is delivered exactly once, in order", async () => {
    const t = await watching();
    const file = writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    const registry = await t.start();
    let next = 0;
    const stream = setInterval(() => {
      for (let i = 0; i < 3; i++) registry.dispatch(eventAt(next++));
    }, 2);
    const REWRITES = 25;
    for (let version = 2; version <= REWRITES + 1; version++) {
      writeFile(file, versioned(t.key, version));
      // Every other rewrite waits for its reload; the rest land mid-reload or get coalesced by the debounce.
      if (version % 2 === 0)
        await waitFor(() => t.lifecycle.includes(`setup v${version}`), 10_000, `setup v${version}`);
      else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
    await waitFor(() => t.lifecycle.includes(`setup v${REWRITES + 1}`), 10_000, "the last version");
    await new Promise((resolve) => setTimeout(resolve, 50));
    clearInterval(stream);
    expect(await registry.drain(5000)).toBe(true);

    expect(next).toBeGreaterThan(100);
    const seen = sessionIds(t.received);
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => `cao-s${i}`)); // every event once, in order
    const versions = t.received.map((r) => r.version!);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThanOrEqual(versions[i - 1]!);
    expect(versions.at(-1)).toBe(REWRITES + 1);
    expect(new Set(versions).size).toBeGreaterThan(5); // events really met many versions
    // Lifecycle strictly alternates: no version ever ran beside another.
    const life = t.lifecycle;
    for (let i = 0; i < life.length; i++) expect(life[i]!.startsWith(i % 2 === 0 ? "setup" : "teardown")).toBe(true);
    expect(t.logs.warnings()).toEqual([]);
  });

  it("teardown() stops watching: a file added afterwards is never loaded", async () => {
    const t = await watching();
    const registry = await t.start();
    await registry.teardown();
    writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(t.lifecycle).toEqual([]);
    expect(registry.list()).toEqual([]);
  });

  it("watch: false loads what is there at start and ignores later changes", async () => {
    const t = await watching({ watch: false });
    const file = writeFile(path.join(t.dir, "live.ts"), versioned(t.key, 1));
    const registry = await t.start();
    writeFile(file, versioned(t.key, 2));
    writeFile(path.join(t.dir, "other.ts"), versioned(t.key, 9));
    await new Promise((resolve) => setTimeout(resolve, 400));
    registry.dispatch(eventAt(0));
    await registry.drain(2000);
    expect(t.lifecycle).toEqual(["setup v1"]);
    expect(registry.list().map((p) => p.name)).toEqual(["live"]);
    expect(t.received.map((r) => r.version)).toEqual([1]);
  });
});

describe("old versions are released", () => {
  it("after 20 real reloads only the current plugin instance and module are still reachable (WeakRefs, forced GC)", async () => {
    const home = tempDir();
    const file = path.join(home, "plugins", "live.ts");
    const source = (version: number) => `
      import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
      const g = globalThis as any;
      const moduleState = { version: ${version}, ballast: new Uint8Array(1_000_000) };
      (g.__moduleRefs ??= []).push(new WeakRef(moduleState));
      export default class Live extends CaoPlugin {
        override async setup() { (g.__instanceRefs ??= []).push(new WeakRef(this)); }
        @hook("message_sent") async seen() { return moduleState.version; }
      }`;
    writeFile(file, source(0));
    const dist = path.resolve("dist/index.js");
    const script = `
      import fs from "node:fs";
      import pino from "pino";
      import { PluginRegistry } from ${JSON.stringify(dist)};
      const sources = ${JSON.stringify(Array.from({ length: 21 }, (_, v) => source(v)))};
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: true, logger: pino({ level: "warn" }) });
      await registry.load();
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      for (let v = 1; v <= 20; v++) {
        fs.writeFileSync(${JSON.stringify(file)}, sources[v]);
        while (globalThis.__instanceRefs.length < v + 1) await sleep(5);
        await sleep(60);
      }
      for (let i = 0; i < 5; i++) { globalThis.gc(); await sleep(20); }
      const alive = (refs) => refs.filter((r) => r.deref() !== undefined).length;
      console.log(JSON.stringify({
        instances: globalThis.__instanceRefs.length,
        modules: globalThis.__moduleRefs.length,
        aliveInstances: alive(globalThis.__instanceRefs),
        aliveModules: alive(globalThis.__moduleRefs),
        current: globalThis.__moduleRefs.at(-1).deref()?.version,
      }));
      await registry.teardown();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--expose-gc",
      "--input-type=module",
      "-e",
      script,
    ]);
    // At least 21 versions ran (one more when a loaded machine makes chokidar report one write twice); one is reachable.
    const result = JSON.parse(stdout);
    expect(result.instances).toBeGreaterThanOrEqual(21);
    expect(result).toEqual({
      instances: result.instances,
      modules: result.instances,
      aliveInstances: 1,
      aliveModules: 1,
      current: 20,
    });
  });
});
