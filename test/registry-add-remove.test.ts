/**
 * registry.add(name, plugin) and registry.remove(name): plugins given as objects (for embedders and tests), before and
 * after load(), beside drop-ins of the same name, failing setups, removal while events are queued, and bad calls.
 * A real registry; drop-ins are real files through real jiti where a clash with one is the point.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CaoPlugin, definePlugin, hook, type MessageSentEvent } from "../src/plugins/api/index.js";
import type { RegistryOptions } from "../src/plugins/host/index.js";
import { eventAt, eventStream } from "./helpers/events.js";
import { sink } from "./helpers/recorder.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

/** A registry (not loaded) over a fresh CAO home; `dropIns` are written as plugins/<name>.ts first. */
function registryOver(dropIns: Record<string, string> = {}, options: Partial<RegistryOptions> = {}) {
  const home = tempDir();
  for (const [name, source] of Object.entries(dropIns)) writeFile(path.join(home, "plugins", `${name}.ts`), source);
  return startRegistry({ home, load: false, ...options });
}

/** A drop-in that records its import and every message_sent into sink(key) as `<label>:<message>`. */
function dropInRecorder(key: string, label: string): string {
  return `const out = ((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= [];
    out.push(${JSON.stringify(`${label}:imported`)});
    export default { hooks: { message_sent(e: any) { out.push(${JSON.stringify(label)} + ":" + e.message); } } };`;
}

/** A typed in-memory plugin recording its lifecycle and messages into `out` as `<label>:…`. */
function memoryRecorder(label: string, out: string[]) {
  class MemoryRecorder extends CaoPlugin {
    override async setup() {
      out.push(`${label}:setup`);
    }
    @hook("message_sent") async onMessage(event: MessageSentEvent) {
      out.push(`${label}:${event.message}`);
    }
    override async teardown() {
      out.push(`${label}:teardown`);
    }
  }
  return MemoryRecorder;
}

const message = (i: number) => eventAt(i * 5 + 2) as MessageSentEvent; // eventAt(5k+2) is a message_sent "#<5k+2>"

describe("registry.add()", () => {
  it("before load(): the plugin is set up when add() resolves, is listed as memory, and gets events after load()", async () => {
    const out: string[] = [];
    const { registry } = await registryOver({ disk: dropInRecorder("add-before", "disk") });
    const row = await registry.add("mem", memoryRecorder("mem", out));
    expect(row).toEqual({
      name: "mem",
      source: "memory",
      path: "(memory)",
      status: "active",
      isolation: "inline",
      hooks: ["message_sent"],
    });
    expect(out).toEqual(["mem:setup"]);
    await registry.load();
    expect(registry.list().map((p) => [p.name, p.source, p.status])).toEqual([
      ["mem", "memory", "active"],
      ["disk", "dir", "active"],
    ]);
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(out).toEqual(["mem:setup", "mem:#2"]);
    expect(sink<string>("add-before")).toEqual(["disk:imported", "disk:#2"]);
  });

  it("after load(): a definePlugin object joins the running set and gets the events dispatched from then on", async () => {
    const { registry } = await registryOver();
    await registry.load();
    const seen: string[] = [];
    registry.dispatch(message(0)); // nobody listens yet
    const row = await registry.add(
      "late",
      definePlugin({ hooks: { message_sent: (event) => void seen.push(event.message) } }),
    );
    expect(row).toMatchObject({ name: "late", source: "memory", status: "active", hooks: ["message_sent"] });
    registry.dispatch(message(1));
    registry.dispatch(message(2));
    expect(await registry.drain(2000)).toBe(true);
    expect(seen).toEqual(["#7", "#12"]);
    expect(registry.stats().late).toMatchObject({ delivered: 2, pending: 0 });
  });

  it("a name clash with a drop-in, added before load(): the added plugin wins, the file is not imported, one WARN", async () => {
    const out: string[] = [];
    const { registry, logs, home } = await registryOver({ twin: dropInRecorder("clash-before", "disk") });
    await registry.add("twin", memoryRecorder("mem", out));
    await registry.load();
    expect(registry.list()).toEqual([expect.objectContaining({ name: "twin", source: "memory", status: "active" })]);
    expect(sink<string>("clash-before")).toEqual([]); // the drop-in was never imported
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      name: "twin",
      kept: "(memory)",
      skipped: path.join(home, "plugins", "twin.ts"),
    });
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(out).toEqual(["mem:setup", "mem:#2"]);
  });

  it("a name clash with a drop-in, added after load(): add() rejects, its setup never runs, the drop-in keeps running", async () => {
    const out: string[] = [];
    const { registry } = await registryOver({ twin: dropInRecorder("clash-after", "disk") });
    await registry.load();
    const before = registry.list();
    await expect(registry.add("twin", memoryRecorder("mem", out))).rejects.toThrow(
      'a plugin named "twin" is already registered',
    );
    expect(out).toEqual([]);
    expect(registry.list()).toEqual(before);
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(sink<string>("clash-after")).toEqual(["disk:imported", "disk:#2"]);
  });

  it("a name clash with a drop-in that load() is still setting up: add() is refused, nothing is lost or leaked", async () => {
    const out: string[] = [];
    const key = "clash-during-load";
    const { registry } = await registryOver({
      twin: `const out = ((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= [];
        export default {
          async setup() { out.push("disk:setup started"); await new Promise((r) => setTimeout(r, 300)); },
          hooks: { message_sent(e: any) { out.push("disk:" + e.message); } },
        };`,
    });
    const loading = registry.load();
    await waitFor(() => sink<string>(key).length > 0, 10_000, "the drop-in's setup to start");
    await expect(registry.add("twin", memoryRecorder("mem", out))).rejects.toThrow(
      'a plugin named "twin" is already registered',
    );
    await loading;
    expect(registry.list().map((p) => [p.name, p.source, p.status])).toEqual([["twin", "dir", "active"]]);
    await registry.teardown();
    expect(out).toEqual([]); // never set up, so nothing to tear down either
  });

  it("a name clash with another add(): the second is refused, the first keeps its place and its events", async () => {
    const first: string[] = [];
    const second: string[] = [];
    const { registry } = await registryOver();
    await registry.load();
    await registry.add("one", memoryRecorder("first", first));
    await expect(registry.add("one", memoryRecorder("second", second))).rejects.toThrow(
      'a plugin named "one" is already registered',
    );
    expect(second).toEqual([]);
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(first).toEqual(["first:setup", "first:#2"]);
    expect(registry.list()).toHaveLength(1);
  });

  it("two concurrent add() of one name: exactly one wins; the loser, already set up, is torn down and gets no event", async () => {
    const a: string[] = [];
    const b: string[] = [];
    const { registry } = await registryOver();
    await registry.load();
    const results = await Promise.allSettled([
      registry.add("same", memoryRecorder("a", a)),
      registry.add("same", memoryRecorder("b", b)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const [winner, loser] = results[0]!.status === "fulfilled" ? [a, b] : [b, a];
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(rejected.reason)).toContain('a plugin named "same" is already registered');
    expect(loser).toEqual([loser === a ? "a:setup" : "b:setup", `${loser === a ? "a" : "b"}:teardown`]);
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(winner.at(-1)).toMatch(/:#2$/);
    expect(loser.some((line) => line.endsWith(":#2"))).toBe(false);
  });

  it("setup() throws: add() resolves with a failed row naming the cause, one WARN, no event reaches it", async () => {
    const seen: string[] = [];
    class Broken extends CaoPlugin {
      override async setup() {
        throw new Error("no credentials");
      }
      @hook("message_sent") async onMessage(event: MessageSentEvent) {
        seen.push(event.message);
      }
    }
    const { registry, logs } = await registryOver();
    await registry.load();
    const row = await registry.add("broken", Broken);
    expect(row).toEqual({
      name: "broken",
      source: "memory",
      path: "(memory)",
      status: "failed",
      isolation: "inline",
      hooks: [],
      error: "setup() threw: no credentials",
    });
    expect(registry.list()).toEqual([row]);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]).toMatchObject({ plugin: "broken" });
    registry.dispatch(message(0));
    expect(await registry.drain(2000)).toBe(true);
    expect(seen).toEqual([]);
    expect(registry.stats()).toEqual({});
  });

  it("setup() never settles: add() resolves after the setup timeout with a failed row; remove() then frees the name", async () => {
    const { registry } = await registryOver({}, { setupTimeoutMs: 200 });
    await registry.load();
    const row = await registry.add(
      "hangs",
      definePlugin({ setup: () => new Promise(() => {}), hooks: { message_sent() {} } }),
    );
    expect(row).toMatchObject({ name: "hangs", status: "failed", error: "setup() did not settle within 200 ms" });
    const out: string[] = [];
    await expect(registry.add("hangs", memoryRecorder("again", out))).rejects.toThrow("already registered");
    expect(await registry.remove("hangs")).toBe(true);
    expect(registry.list()).toEqual([]);
    expect(await registry.add("hangs", memoryRecorder("again", out))).toMatchObject({ status: "active" });
    expect(out).toEqual(["again:setup"]);
  });

  it("something that is not a plugin: a failed row saying what was given", async () => {
    const { registry } = await registryOver();
    await registry.load();
    const row = await registry.add("not_a_plugin", 42);
    expect(row).toMatchObject({ name: "not_a_plugin", status: "failed" });
    expect(row.error).toMatch(/not a plugin/);
  });

  it("a bad name is refused with a TypeError and registers nothing", async () => {
    const { registry } = await registryOver();
    await registry.load();
    const setups: string[] = [];
    for (const name of ["", "   ", 42, undefined]) {
      await expect(registry.add(name as string, memoryRecorder("bad", setups))).rejects.toThrow(TypeError);
    }
    expect(setups).toEqual([]);
    expect(registry.list()).toEqual([]);
  });

  it("after teardown() add() is refused and nothing is set up", async () => {
    const out: string[] = [];
    const { registry } = await registryOver();
    await registry.load();
    await registry.teardown();
    await expect(registry.add("late", memoryRecorder("late", out))).rejects.toThrow("the registry is torn down");
    expect(out).toEqual([]);
    expect(registry.list()).toEqual([]);
  });
});

describe("registry.remove()", () => {
  it("delivers the events already queued for the plugin, then tears it down; later events do not reach it", async () => {
    const out: string[] = [];
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    class Slow extends CaoPlugin {
      @hook("message_sent") async onMessage(event: MessageSentEvent) {
        await opened;
        out.push(event.message);
      }
      override async teardown() {
        out.push("teardown");
      }
    }
    const stays: string[] = [];
    const { registry } = await registryOver();
    await registry.load();
    await registry.add("slow", Slow);
    await registry.add("stays", memoryRecorder("stays", stays));
    for (const i of [0, 1, 2]) registry.dispatch(message(i));
    const removed = registry.remove("slow");
    registry.dispatch(message(3)); // after remove() began: for "stays" only
    expect(registry.list().map((p) => p.name)).toEqual(["stays"]);
    expect(out).toEqual([]);
    open();
    expect(await removed).toBe(true);
    expect(out).toEqual(["#2", "#7", "#12", "teardown"]);
    expect(await registry.drain(2000)).toBe(true);
    expect(stays).toEqual(["stays:setup", "stays:#2", "stays:#7", "stays:#12", "stays:#17"]);
    expect(Object.keys(registry.stats())).toEqual(["stays"]);
  });

  it("works for a drop-in too: it stops receiving events and is no longer listed", async () => {
    const { registry } = await registryOver({ disk: dropInRecorder("remove-dropin", "disk") });
    await registry.load();
    registry.dispatch(message(0));
    expect(await registry.remove("disk")).toBe(true);
    registry.dispatch(message(1));
    expect(await registry.drain(2000)).toBe(true);
    expect(sink<string>("remove-dropin")).toEqual(["disk:imported", "disk:#2"]);
    expect(registry.list()).toEqual([]);
  });

  it("of an unknown name resolves false and changes nothing", async () => {
    const out: string[] = [];
    const { registry } = await registryOver();
    await registry.load();
    await registry.add("known", memoryRecorder("known", out));
    const before = registry.list();
    expect(await registry.remove("unknown")).toBe(false);
    expect(registry.list()).toEqual(before);
    for (const event of eventStream(5)) registry.dispatch(event);
    expect(await registry.drain(2000)).toBe(true);
    expect(out).toEqual(["known:setup", "known:#2"]);
  });
});
