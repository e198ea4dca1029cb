/**
 * Dispatch semantics (docs/contract.md#plugin-api) through a real registry: fire-and-forget, per-plugin order, isolation between
 * plugins, timeouts, bounded queues, drain, frozen events, the handler context, safe mode. The plugins are typed
 * objects given to `registry.add()`, so the compiler checks them; only safe mode uses drop-in files, because what it
 * shows is that discovered files are not imported.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CaoEvent, definePlugin, type DefinedPlugin } from "../src/plugins/api/index.js";
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

/** A loaded registry over an empty CAO home, with each `name → plugin` added in memory (in order). */
async function registryWith(plugins: Record<string, unknown>, options: Partial<RegistryOptions> = {}) {
  const { registry, logs, home } = await startRegistry(options);
  for (const [name, plugin] of Object.entries(plugins))
    expect(await registry.add(name, plugin)).toMatchObject({ name, status: "active" });
  return { registry, logs, home };
}

/** A promise and the function that resolves it: holds a handler until the test lets it go on. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A definePlugin recording [name, sessionId] into `out` for every V1 event, after an optional per-event delay. */
function recorder(name: string, out: [string, string | null][], delayMs: () => number = () => 0): DefinedPlugin {
  async function record(event: CaoEvent): Promise<void> {
    const ms = delayMs();
    if (ms > 0) await sleep(ms);
    out.push([name, event.sessionId]);
  }
  return definePlugin({
    hooks: {
      session_created: record,
      session_killed: record,
      terminal_created: record,
      terminal_killed: record,
      message_sent: record,
    },
  });
}

describe("dispatch()", () => {
  it("returns undefined at once and runs no plugin code before it returns", async () => {
    const out: [string, string | null][] = [];
    const { registry } = await registryWith({ a: recorder("a", out) });
    for (const event of eventStream(10)) expect(registry.dispatch(event)).toBeUndefined();
    expect(out).toEqual([]);
    await registry.drain(2000);
    expect(out).toHaveLength(10);
  });

  it("never throws on garbage: each bad value is one WARN and reaches no plugin", async () => {
    const out: [string, string | null][] = [];
    const { registry, logs } = await registryWith({ a: recorder("a", out) });
    const throwingProxy = new Proxy(
      {},
      {
        get: () => {
          throw new Error("hostile getter");
        },
      },
    );
    const garbage: unknown[] = [null, undefined, 42, "message_sent", {}, { eventType: 42 }, throwingProxy];
    for (const value of garbage) expect(() => registry.dispatch(value as CaoEvent)).not.toThrow();
    await registry.drain(2000);
    expect(out).toEqual([]);
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(garbage.length);
    for (const w of warnings) expect(w.msg).toMatch(/^dispatch ignored an invalid event: /);
    expect(warnings.at(-1)!.msg).toContain("hostile getter");
  });

  it("each plugin sees events in emission order even when its handlers take random time", async () => {
    const out: [string, string | null][] = [];
    const { registry } = await registryWith({
      a: recorder("a", out, () => Math.floor(Math.random() * 4)),
      b: recorder("b", out, () => (Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 3))),
      c: recorder("c", out),
    });
    const events = eventStream(150);
    for (const event of events) registry.dispatch(event);
    expect(await registry.drain(20_000)).toBe(true);
    const expected = events.map((e) => e.sessionId);
    for (const name of ["a", "b", "c"]) expect(out.filter(([p]) => p === name).map(([, s]) => s)).toEqual(expected);
  });

  it("plugins never wait for each other: a slow plugin does not delay a fast one", async () => {
    const out: [string, string | null][] = [];
    const { registry } = await registryWith({ fast: recorder("fast", out), slow: recorder("slow", out, () => 100) });
    for (const event of eventStream(10)) registry.dispatch(event);
    await waitFor(() => out.filter(([p]) => p === "fast").length === 10, 5000, "the fast plugin to get all 10 events");
    expect(out.filter(([p]) => p === "slow").length).toBeLessThan(3);
    expect(await registry.drain(5000)).toBe(true);
    expect(out.filter(([p]) => p === "slow")).toHaveLength(10);
  });

  it("a handler timeout is counted and the next event is delivered", async () => {
    const out: (string | null)[] = [];
    let calls = 0;
    const hangsOnce = definePlugin({
      hooks: {
        session_created(event) {
          if (calls++ === 0) return new Promise(() => {});
          out.push(event.sessionName);
        },
      },
    });
    const { registry, logs } = await registryWith({ hangs_once: hangsOnce }, { handlerTimeoutMs: 150 });
    registry.dispatch(eventAt(0));
    registry.dispatch(eventAt(5));
    registry.dispatch(eventAt(10));
    expect(await registry.drain(5000)).toBe(true);
    expect(out).toEqual(["cao-s5", "cao-s10"]);
    expect(registry.stats().hangs_once).toEqual({ delivered: 2, failed: 0, timedOut: 1, dropped: 0, pending: 0 });
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]).toMatchObject({
      plugin: "hangs_once",
      handler: "hooks.session_created",
      eventType: "session_created",
    });
  });

  it("a full queue drops the newest events for that plugin only, counts them, and warns when it starts and when it ends", async () => {
    const out: [string, string | null][] = [];
    const { opened, open } = gate();
    const blocked = definePlugin({
      hooks: {
        message_sent: async (event) => {
          await opened;
          out.push(["blocked", event.sessionId]);
        },
      },
    });
    const { registry, logs } = await registryWith({ blocked, other: recorder("other", out) }, { queueLimit: 5 });
    const messages = eventStream(100).filter((e) => e.eventType === "message_sent"); // 20 of them
    // Bursts of 5 (the limit), each delivered to "other" before the next: only the blocked plugin falls behind.
    for (let burst = 0; burst < 4; burst++) {
      for (const event of messages.slice(burst * 5, burst * 5 + 5)) registry.dispatch(event);
      await waitFor(() => out.length === burst * 5 + 5, 5000, `the other plugin to get burst ${burst}`);
    }
    expect(registry.stats().blocked).toMatchObject({ dropped: 15, pending: 5, delivered: 0 });
    expect(registry.stats().other).toMatchObject({ dropped: 0, delivered: 20 });
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/"blocked" is 5 events behind; new events for it are dropped/);
    open();
    expect(await registry.drain(5000)).toBe(true);
    const kept = out.filter(([p]) => p === "blocked").map(([, s]) => s);
    expect(kept).toEqual(messages.slice(0, 5).map((e) => e.sessionId)); // the oldest are kept, in order
    expect(logs.warnings()).toHaveLength(2);
    expect(logs.warnings()[1]).toMatchObject({ plugin: "blocked", dropped: 15 });
    // Caught up: the queue accepts again.
    registry.dispatch(messages[19]!);
    expect(await registry.drain(5000)).toBe(true);
    expect(registry.stats().blocked).toMatchObject({ dropped: 15, delivered: 6, pending: 0 });
  });

  it("drain(ms) resolves false while a plugin is still busy and true once everything is delivered", async () => {
    const out: (string | null)[] = [];
    const { opened, open } = gate();
    const gated = definePlugin({
      hooks: {
        session_created: async (event) => {
          await opened;
          out.push(event.sessionId);
        },
      },
    });
    const { registry } = await registryWith({ gated });
    expect(await registry.drain(50)).toBe(true); // nothing queued
    registry.dispatch(eventAt(0));
    registry.dispatch(eventAt(5));
    expect(await registry.drain(100)).toBe(false);
    expect(out).toEqual([]);
    open();
    expect(await registry.drain(2000)).toBe(true);
    expect(out).toEqual(["cao-s0", "cao-s5"]);
  });

  it("every plugin receives the same frozen event; a custom event's nested data is deep-frozen before delivery", async () => {
    class CustomEvent extends CaoEvent {
      readonly eventType = "custom_event";
      readonly detail = { list: [1, 2, 3] };
    }
    const seen: { e: unknown; frozen: boolean; nested: boolean | null }[] = [];
    const look = (event: CaoEvent): void => {
      const detail = event instanceof CustomEvent ? event.detail : undefined;
      seen.push({
        e: event,
        frozen: Object.isFrozen(event),
        nested: detail ? Object.isFrozen(detail) && Object.isFrozen(detail.list) : null,
      });
    };
    // "custom_event" is not one of the typed V1 keys: a plugin can still hook it, outside the typed table.
    const looks = definePlugin({ hooks: { message_sent: look, ...({ custom_event: look } as object) } });
    const { registry } = await registryWith({ looks });
    const custom = new CustomEvent({ sessionId: "cao-custom" });
    expect(Object.isFrozen(custom)).toBe(false);
    const message = eventAt(2);
    registry.dispatch(message);
    registry.dispatch(custom);
    expect(await registry.drain(2000)).toBe(true);
    expect(seen).toEqual([
      { e: message, frozen: true, nested: null },
      { e: custom, frozen: true, nested: true },
    ]);
    expect(seen[0]!.e).toBe(message); // the same object: no copy per plugin, and none is needed
  });

  it("definePlugin handlers get the plugin context (name, logger tagged with the plugin, CAO home) as second argument", async () => {
    const out: { name: string; caoHome: string }[] = [];
    const ctxUser = definePlugin({
      hooks: {
        terminal_created(event, ctx) {
          ctx.logger.info({ terminal: event.terminalId }, "saw a terminal");
          out.push({ name: ctx.name, caoHome: ctx.caoHome });
        },
      },
    });
    const { registry, logs, home } = await registryWith({ ctx_user: ctxUser });
    registry.dispatch(eventAt(1));
    expect(await registry.drain(2000)).toBe(true);
    expect(out).toEqual([{ name: "ctx_user", caoHome: home }]);
    expect(logs.lines.find((l) => l.msg === "saw a terminal")).toMatchObject({
      plugin: "ctx_user",
      terminal: "0123abcd",
    });
  });

  it("safe mode (CAO_DISABLE_PLUGINS=1): drop-ins are listed as disabled, none is imported or set up, dispatch is a no-op", async () => {
    // A drop-in file on purpose: what safe mode promises is that discovered code is never imported.
    const key = "dispatch-safe-mode";
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "would_run.ts"),
      `const early = ((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= [];
       early.push("imported");
       export default { setup() { early.push("setup"); }, hooks: { session_created() { early.push("handled"); } } };`,
    );
    const { registry, logs } = await startRegistry({ home, env: { CAO_DISABLE_PLUGINS: "1" } });
    registry.dispatch(eventAt(0));
    expect(await registry.drain(500)).toBe(true);
    expect(sink(key)).toEqual([]);
    expect(registry.list()).toEqual([expect.objectContaining({ name: "would_run", status: "disabled", hooks: [] })]);
    expect(logs.warnings()).toEqual([]);
    expect(logs.infos()).toHaveLength(1);
    expect(logs.infos()[0]!.msg).toMatch(/safe mode/);
  });
});
