/**
 * Activation (src/plugins/host/activation.ts) over the real parts it keeps in step (catalog, lifecycle, router,
 * interceptor table, deliveries), wired as the registry wires them, with in-memory definePlugin plugins handed over
 * as already imported modules: no files, no loader, no server. Events are routed as registry.dispatch() routes them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../src/plugins/api/index.js";
import { Activation, type LifecycleChange } from "../../src/plugins/host/activation.js";
import { Catalog, type ActiveEntry } from "../../src/plugins/host/catalog.js";
import { PluginScope } from "../../src/plugins/host/containment/plugin-scope.js";
import { Deliveries } from "../../src/plugins/host/delivery/deliveries.js";
import { memorySource } from "../../src/plugins/host/discovery/source.js";
import { InterceptorTable } from "../../src/plugins/host/intercept/interceptor-table.js";
import { Lifecycle } from "../../src/plugins/host/lifecycle.js";
import { PluginModuleLoader } from "../../src/plugins/host/loading/module-loader.js";
import { recognisePlugin } from "../../src/plugins/host/loading/recognise.js";
import { resolveOptions } from "../../src/plugins/host/options.js";
import { Router } from "../../src/plugins/host/router.js";
import { captureLogs } from "../helpers/log-capture.js";
import { contextFor, gate, handler, instanceWith, sent, sessionCreated } from "./host-parts.js";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** The registry's parts, real and wired together as in registry.ts; `changes` is what the registry would announce. */
function host(timeouts: { teardownTimeoutMs?: number; setupTimeoutMs?: number } = {}) {
  const logs = captureLogs();
  // Nothing here reads CAO_HOME: plugins arrive as imported modules, so the loader is never asked for a file.
  const options = resolveOptions({
    env: { CAO_HOME: "/nonexistent/cao-home" },
    logger: logs.logger,
    watch: false,
    ...timeouts,
  });
  const catalog = new Catalog(options.plugins);
  const scope = new PluginScope(false, () => catalog.locations());
  const router = new Router();
  const interceptors = new InterceptorTable(scope);
  const deliveries = new Deliveries({
    queueLimit: options.queueLimit,
    handlerTimeoutMs: options.handlerTimeoutMs,
    logger: logs.logger,
    scope,
  });
  stops.push(() => deliveries.stop());
  let activation: Activation | undefined;
  const lifecycle = new Lifecycle({
    loader: new PluginModuleLoader(options.caoHome),
    scope,
    options,
    log: logs.logger,
    onWorkerFailed: (name, plugin, reason) => void activation?.retire(name, plugin, reason),
  });
  const changes: string[] = [];
  const describeChange = (c: LifecycleChange) =>
    `${c.kind}:${c.source.name}${c.kind === "failed" ? ` (${c.error})` : ""}`;
  activation = new Activation({
    catalog,
    lifecycle,
    router,
    interceptors,
    deliveries,
    log: logs.logger,
    teardownTimeoutMs: options.teardownTimeoutMs,
    onChange: (change) => void changes.push(describeChange(change)),
  });
  /** Starts an in-memory plugin as if its module had just been imported. */
  const activate = (name: string, plugin: object) => activation.activate(memorySource(name), Promise.resolve(plugin));
  return { activation, activate, catalog, router, interceptors, logs, changes };
}

async function idle(entry: unknown): Promise<void> {
  await (entry as ActiveEntry).queue.whenIdle();
}

describe("activate", () => {
  it("a plugin whose setup succeeds is active: listed, routed to, its interceptors in the table, announced as loaded", async () => {
    const h = host();
    const seen: string[] = [];
    const entry = await h.activate(
      "greeter",
      definePlugin({
        hooks: { message_sent: (e) => void seen.push(e.message) },
        intercepts: { pre_send_message: () => undefined },
      }),
    );
    expect(h.catalog.rows()).toEqual([
      {
        name: "greeter",
        source: "memory",
        path: "(memory)",
        status: "active",
        isolation: "inline",
        hooks: ["message_sent", "pre_send_message"],
      },
    ]);
    expect(h.router.listens("message_sent")).toBe(true);
    expect(h.interceptors.has("pre_send_message")).toBe(true);
    h.router.route(sent("hi"));
    await idle(entry);
    expect(seen).toEqual(["hi"]);
    expect(h.changes).toEqual(["loaded:greeter"]);
  });

  it("a plugin whose setup throws is failed with why, one WARN naming it, announced as failed, and routed nothing", async () => {
    const h = host();
    const entry = await h.activate(
      "broken",
      definePlugin({
        setup: () => {
          throw new Error("no token");
        },
        hooks: { message_sent: () => undefined },
      }),
    );
    expect(entry).toMatchObject({ status: "failed", error: "setup() threw: no token" });
    expect(h.router.listens("message_sent")).toBe(false);
    expect(h.logs.warnings().map((w) => [w.plugin, w.msg])).toEqual([
      ["broken", 'plugin "broken" skipped: setup() threw: no token'],
    ]);
    expect(h.changes).toEqual(["failed:broken (setup() threw: no token)"]);
  });

  it("a module that is no plugin is failed without any setup", async () => {
    const h = host();
    expect(await h.activate("nothing", { default: 42 })).toMatchObject({
      status: "failed",
      error: expect.stringContaining("its export is not a plugin"),
    });
    expect(h.catalog.active()).toEqual([]);
  });
});

describe("replace (hot reload)", () => {
  it("events dispatched while the old version tears down reach the new version, in order, exactly once", async () => {
    const h = host();
    const got: string[] = [];
    const tornDown = gate();
    const v1 = definePlugin({
      hooks: { message_sent: (e) => void got.push(`v1:${e.message}`) },
      teardown: () => tornDown.promise,
    });
    const entry = (await h.activate("live", v1)) as ActiveEntry;
    h.router.route(sent("before"));
    await idle(entry);
    const v2 = recognisePlugin(
      definePlugin({
        hooks: {
          message_sent: (e) => void got.push(`v2:${e.message}`),
          session_created: (e) => void got.push(`v2:${e.sessionName}`),
        },
      }),
      contextFor("live"),
    );
    if (!v2.ok) throw new Error(v2.reason);
    const replacing = h.activation.replace(entry, memorySource("live"), v2.plugin);
    h.router.route(sent("during-1"));
    h.router.route(sessionCreated("cao-during")); // a type only the new version hooks: kept for it too
    h.router.route(sent("during-2"));
    tornDown.resolve();
    const replaced = await replacing;
    h.router.route(sent("after"));
    await idle(replaced);
    expect(got).toEqual(["v1:before", "v2:during-1", "v2:cao-during", "v2:during-2", "v2:after"]);
    expect(h.router.listens("session_created")).toBe(true);
    expect(h.changes).toEqual(["loaded:live", "reloaded:live"]);
  });

  it("a new version whose setup fails leaves the plugin failed, its held events discarded and counted, and no longer routed to", async () => {
    const h = host();
    const entry = (await h.activate("live", definePlugin({ hooks: { message_sent: () => undefined } }))) as ActiveEntry;
    const v2 = recognisePlugin(
      definePlugin({ setup: () => Promise.reject(new Error("bad v2")), hooks: { message_sent: () => undefined } }),
      contextFor("live"),
    );
    if (!v2.ok) throw new Error(v2.reason);
    const replacing = h.activation.replace(entry, memorySource("live"), v2.plugin);
    h.router.route(sent("lost"));
    expect(await replacing).toMatchObject({
      status: "failed",
      error: "setup() threw: bad v2 (after reload; 1 queued events discarded)",
    });
    expect(h.router.listens("message_sent")).toBe(false);
    expect(h.changes.at(-1)).toBe("failed:live (setup() threw: bad v2 (after reload; 1 queued events discarded))");
  });
});

describe("deactivate", () => {
  it("events the plugin already accepted still reach it, then teardown() runs, then it is announced as unloaded", async () => {
    const h = host();
    const order: string[] = [];
    const slow = gate();
    await h.activate(
      "leaving",
      definePlugin({
        hooks: { message_sent: (e) => slow.promise.then(() => void order.push(`handled ${e.message}`)) },
        teardown: () => void order.push("teardown"),
      }),
    );
    h.router.route(sent("last"));
    const leaving = h.activation.deactivate("leaving");
    expect(h.router.listens("message_sent")).toBe(false); // nothing new is routed to it from the start
    expect(h.catalog.get("leaving")).toBeUndefined();
    slow.resolve();
    await leaving;
    expect(order).toEqual(["handled last", "teardown"]);
    expect(h.changes).toEqual(["loaded:leaving", "unloaded:leaving"]);
  });

  it("a handler that never settles holds teardown back only for the teardown timeout", async () => {
    const h = host({ teardownTimeoutMs: 50 });
    const order: string[] = [];
    await h.activate(
      "stuck",
      definePlugin({
        hooks: { message_sent: () => new Promise(() => {}) },
        teardown: () => void order.push("teardown"),
      }),
    );
    h.router.route(sent("forever"));
    await h.activation.deactivate("stuck");
    expect(order).toEqual(["teardown"]);
  });

  it("removes the plugin's interceptors from the table", async () => {
    const h = host();
    await h.activate("guard", definePlugin({ intercepts: { pre_send_message: () => undefined } }));
    await h.activation.deactivate("guard");
    expect(h.interceptors.has("pre_send_message")).toBe(false);
    await h.activation.deactivate("guard"); // unknown by now: nothing happens
    expect(h.changes).toEqual(["loaded:guard", "unloaded:guard"]);
  });
});

describe("retire (a worker plugin that died too often)", () => {
  it("fails the running plugin, discards what was queued for it (counted in the WARN) and closes it", async () => {
    const h = host();
    const closed: string[] = [];
    const hung = gate();
    const plugin = {
      ...instanceWith([handler("message_sent", () => hung.promise)]),
      close: async () => void closed.push("closed"),
    };
    h.activation.settle(memorySource("dying"), plugin);
    for (const m of ["1", "2", "3"]) h.router.route(sent(m));
    await new Promise((resolve) => setImmediate(resolve)); // the queue starts: "1" is in flight, "2" and "3" wait
    const retiring = h.activation.retire("dying", plugin, "its worker died 3 times within 60000 ms");
    hung.resolve();
    await retiring;
    expect(h.catalog.get("dying")).toMatchObject({
      status: "failed",
      error: "its worker died 3 times within 60000 ms",
    });
    expect(h.router.listens("message_sent")).toBe(false);
    expect(closed).toEqual(["closed"]);
    expect(h.logs.warnings().map((w) => w.msg)).toEqual([
      'plugin "dying" failed: its worker died 3 times within 60000 ms; 2 queued events discarded',
    ]);
  });

  it("is ignored when the plugin named is no longer the instance running (reloaded meanwhile)", async () => {
    const h = host();
    const running = instanceWith([handler("message_sent", () => undefined)]);
    h.activation.settle(memorySource("w"), running);
    await h.activation.retire("w", instanceWith([]), "an old instance died");
    expect(h.catalog.get("w")?.status).toBe("active");
    expect(h.logs.warnings()).toEqual([]);
  });
});
