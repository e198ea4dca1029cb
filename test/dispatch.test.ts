/**
 * Dispatch semantics (DESIGN §7) through real drop-in files and a real registry: fire-and-forget, per-plugin
 * order, isolation between plugins, timeouts, bounded queues, drain, frozen events, the handler context, safe mode.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CaoEvent } from "../src/plugins/api/index.js";
import { PluginRegistry, type RegistryOptions } from "../src/plugins/host/index.js";
import { eventAt, eventStream } from "./helpers/events.js";
import { captureLogs } from "./helpers/log-capture.js";
import { sink } from "./helpers/recorder.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { waitFor } from "./helpers/wait.js";

const registries: PluginRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.teardown();
  removeTempDirs();
});

let caseNo = 0;

/** Writes each `name → source` as plugins/<name>.ts (`__KEY__` becomes this case's sink key) and loads them. */
async function registryWith(plugins: Record<string, string>, options: Partial<RegistryOptions> = {}, env: Record<string, string> = {}) {
  const key = `dispatch-${++caseNo}`;
  const home = tempDir();
  for (const [name, source] of Object.entries(plugins)) {
    writeFile(path.join(home, "plugins", `${name}.ts`), source.replaceAll("__KEY__", JSON.stringify(key)));
  }
  const logs = captureLogs();
  const registry = new PluginRegistry({ env: { CAO_HOME: home, ...env }, cwd: home, watch: false, logger: logs.logger, ...options });
  registries.push(registry);
  await registry.load();
  return { registry, logs, key, home };
}

const OUT = `const out = ((globalThis as any).__caoTestSinks ??= {})[__KEY__] ??= [];`;
const gates = () => ((globalThis as { __caoGates?: Record<string, () => void> }).__caoGates ??= {});

/** A definePlugin drop-in recording [plugin, sessionId] for every event, after an optional per-event delay. */
function recorder(name: string, delayExpr = "0"): string {
  return `import { definePlugin } from "cli-agent-orchestrator/plugins";
    ${OUT}
    async function record(e: any) {
      const ms = ${delayExpr};
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      out.push([${JSON.stringify(name)}, e.sessionId]);
    }
    export default definePlugin({ hooks: { session_created: record, session_killed: record, terminal_created: record, terminal_killed: record, message_sent: record } });`;
}

describe("dispatch()", () => {
  it("returns undefined at once and runs no plugin code before it returns", async () => {
    const { registry, key } = await registryWith({ a: recorder("a") });
    const out = sink<[string, string]>(key);
    for (const event of eventStream(10)) expect(registry.dispatch(event)).toBeUndefined();
    expect(out).toEqual([]);
    await registry.drain(2000);
    expect(out).toHaveLength(10);
  });

  it("never throws on garbage: each bad value is one WARN and reaches no plugin", async () => {
    const { registry, logs, key } = await registryWith({ a: recorder("a") });
    const throwingProxy = new Proxy({}, { get: () => { throw new Error("hostile getter"); } });
    const garbage: unknown[] = [null, undefined, 42, "message_sent", {}, { eventType: 42 }, throwingProxy];
    for (const value of garbage) expect(() => registry.dispatch(value as CaoEvent)).not.toThrow();
    await registry.drain(2000);
    expect(sink(key)).toEqual([]);
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(garbage.length);
    for (const w of warnings) expect(w.msg).toMatch(/^dispatch ignored an invalid event: /);
    expect(warnings.at(-1)!.msg).toContain("hostile getter");
  });

  it("each plugin sees events in emission order even when its handlers take random time", async () => {
    const { registry, key } = await registryWith({
      a: recorder("a", "Math.floor(Math.random() * 4)"),
      b: recorder("b", "Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 3)"),
      c: recorder("c"),
    });
    const events = eventStream(150);
    for (const event of events) registry.dispatch(event);
    expect(await registry.drain(20_000)).toBe(true);
    const out = sink<[string, string]>(key);
    const expected = events.map((e) => e.sessionId);
    for (const name of ["a", "b", "c"]) expect(out.filter(([p]) => p === name).map(([, s]) => s)).toEqual(expected);
  });

  it("plugins never wait for each other: a slow plugin does not delay a fast one", async () => {
    const { registry, key } = await registryWith({ fast: recorder("fast"), slow: recorder("slow", "100") });
    for (const event of eventStream(10)) registry.dispatch(event);
    const out = sink<[string, string]>(key);
    await waitFor(() => out.filter(([p]) => p === "fast").length === 10, 5000, "the fast plugin to get all 10 events");
    expect(out.filter(([p]) => p === "slow").length).toBeLessThan(3);
    expect(await registry.drain(5000)).toBe(true);
    expect(out.filter(([p]) => p === "slow")).toHaveLength(10);
  });

  it("a handler timeout is counted and the next event is delivered", async () => {
    const { registry, logs, key } = await registryWith(
      {
        hangs_once: `import { definePlugin } from "cli-agent-orchestrator/plugins";
          ${OUT}
          let calls = 0;
          export default definePlugin({ hooks: { session_created(e: any) {
            if (calls++ === 0) return new Promise(() => {});
            out.push(e.sessionId);
          } } });`,
      },
      { handlerTimeoutMs: 150 },
    );
    registry.dispatch(eventAt(0));
    registry.dispatch(eventAt(5));
    registry.dispatch(eventAt(10));
    expect(await registry.drain(5000)).toBe(true);
    expect(sink(key)).toEqual(["cao-s5", "cao-s10"]);
    expect(registry.stats().hangs_once).toEqual({ delivered: 2, failed: 0, timedOut: 1, dropped: 0, pending: 0 });
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]).toMatchObject({ plugin: "hangs_once", handler: "hooks.session_created", eventType: "session_created" });
  });

  it("a full queue drops the newest events for that plugin only, counts them, and warns when it starts and when it ends", async () => {
    const gateName = `overflow-${caseNo + 1}`;
    const { registry, logs, key } = await registryWith(
      {
        blocked: `import { definePlugin } from "cli-agent-orchestrator/plugins";
          ${OUT}
          const gates = ((globalThis as any).__caoGates ??= {});
          const opened = new Promise<void>((resolve) => { gates[${JSON.stringify(gateName)}] = resolve; });
          export default definePlugin({ hooks: { message_sent: async (e: any) => { await opened; out.push(["blocked", e.sessionId]); } } });`,
        other: recorder("other"),
      },
      { queueLimit: 5 },
    );
    const messages = eventStream(100).filter((e) => e.eventType === "message_sent"); // 20 of them
    // Bursts of 5 (the limit), each delivered to "other" before the next: only the blocked plugin falls behind.
    for (let burst = 0; burst < 4; burst++) {
      for (const event of messages.slice(burst * 5, burst * 5 + 5)) registry.dispatch(event);
      await waitFor(() => sink(key).length === burst * 5 + 5, 5000, `the other plugin to get burst ${burst}`);
    }
    expect(registry.stats().blocked).toMatchObject({ dropped: 15, pending: 5, delivered: 0 });
    expect(registry.stats().other).toMatchObject({ dropped: 0, delivered: 20 });
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/"blocked" is 5 events behind; new events for it are dropped/);
    gates()[gateName]!();
    expect(await registry.drain(5000)).toBe(true);
    const kept = sink<[string, string]>(key).filter(([p]) => p === "blocked").map(([, s]) => s);
    expect(kept).toEqual(messages.slice(0, 5).map((e) => e.sessionId)); // the oldest are kept, in order
    expect(logs.warnings()).toHaveLength(2);
    expect(logs.warnings()[1]).toMatchObject({ plugin: "blocked", dropped: 15 });
    // Caught up: the queue accepts again.
    registry.dispatch(messages[19]!);
    expect(await registry.drain(5000)).toBe(true);
    expect(registry.stats().blocked).toMatchObject({ dropped: 15, delivered: 6, pending: 0 });
  });

  it("drain(ms) resolves false while a plugin is still busy and true once everything is delivered", async () => {
    const gateName = `drain-${caseNo + 1}`;
    const { registry, key } = await registryWith({
      gated: `import { definePlugin } from "cli-agent-orchestrator/plugins";
        ${OUT}
        const gates = ((globalThis as any).__caoGates ??= {});
        const opened = new Promise<void>((resolve) => { gates[${JSON.stringify(gateName)}] = resolve; });
        export default definePlugin({ hooks: { session_created: async (e: any) => { await opened; out.push(e.sessionId); } } });`,
    });
    expect(await registry.drain(50)).toBe(true); // nothing queued
    registry.dispatch(eventAt(0));
    registry.dispatch(eventAt(5));
    expect(await registry.drain(100)).toBe(false);
    expect(sink(key)).toEqual([]);
    gates()[gateName]!();
    expect(await registry.drain(2000)).toBe(true);
    expect(sink(key)).toEqual(["cao-s0", "cao-s5"]);
  });

  it("every plugin receives the same frozen event; a custom event's nested data is deep-frozen before delivery", async () => {
    const { registry, key } = await registryWith({
      looks: `import { definePlugin } from "cli-agent-orchestrator/plugins";
        ${OUT}
        const look = (e: any) => { out.push({ e, frozen: Object.isFrozen(e), nested: e.detail ? Object.isFrozen(e.detail) && Object.isFrozen(e.detail.list) : null }); };
        export default definePlugin({ hooks: { message_sent: look, custom_event: look } as any });`,
    });
    class CustomEvent extends CaoEvent {
      readonly eventType = "custom_event";
      readonly detail = { list: [1, 2, 3] };
    }
    const custom = new CustomEvent({ sessionId: "cao-custom" });
    expect(Object.isFrozen(custom)).toBe(false);
    const message = eventAt(2);
    registry.dispatch(message);
    registry.dispatch(custom);
    expect(await registry.drain(2000)).toBe(true);
    const seen = sink<{ e: unknown; frozen: boolean; nested: boolean | null }>(key);
    expect(seen).toEqual([
      { e: message, frozen: true, nested: null },
      { e: custom, frozen: true, nested: true },
    ]);
    expect(seen[0]!.e).toBe(message); // the same object: no copy per plugin, and none is needed
  });

  it("definePlugin handlers get the plugin context (name, logger tagged with the plugin, CAO home) as second argument", async () => {
    const { registry, logs, key, home } = await registryWith({
      ctx_user: `import { definePlugin } from "cli-agent-orchestrator/plugins";
        ${OUT}
        export default definePlugin({ hooks: { terminal_created(e: any, ctx) {
          ctx.logger.info({ terminal: e.terminalId }, "saw a terminal");
          out.push({ name: ctx.name, caoHome: ctx.caoHome });
        } } });`,
    });
    registry.dispatch(eventAt(1));
    expect(await registry.drain(2000)).toBe(true);
    expect(sink(key)).toEqual([{ name: "ctx_user", caoHome: home }]);
    expect(logs.lines.find((l) => l.msg === "saw a terminal")).toMatchObject({ plugin: "ctx_user", terminal: "0123abcd" });
  });

  it("safe mode (CAO_DISABLE_PLUGINS=1): plugins are listed as disabled, none is imported or set up, dispatch is a no-op", async () => {
    const { registry, logs, key } = await registryWith(
      {
        would_run: `${OUT.replace("const out", "const early")}
          early.push("imported");
          export default { setup() { early.push("setup"); }, hooks: { session_created() { early.push("handled"); } } };`,
      },
      {},
      { CAO_DISABLE_PLUGINS: "1" },
    );
    registry.dispatch(eventAt(0));
    expect(await registry.drain(500)).toBe(true);
    expect(sink(key)).toEqual([]);
    expect(registry.list()).toEqual([expect.objectContaining({ name: "would_run", status: "disabled", hooks: [] })]);
    expect(logs.warnings()).toEqual([]);
    expect(logs.infos()).toHaveLength(1);
    expect(logs.infos()[0]!.msg).toMatch(/safe mode/);
  });
});
