/**
 * The interceptor chain (src/plugins/host/intercept/chain.ts) over a real interceptor table, fed by definePlugin
 * plugins recognised as the registry recognises them: the order of the chain, deny, modify, and what a throw, a
 * rejection, a missed deadline or a nonsense answer counts as (allow, or deny for failClosed).
 */
import { describe, expect, it } from "vitest";
import { allow, definePlugin, deny, modify, type PreSendMessage } from "../../src/plugins/api/index.js";
import { PluginScope } from "../../src/plugins/host/containment/plugin-scope.js";
import { InterceptorChain } from "../../src/plugins/host/intercept/chain.js";
import { InterceptorTable } from "../../src/plugins/host/intercept/interceptor-table.js";
import { recognisePlugin } from "../../src/plugins/host/loading/recognise.js";
import { captureLogs } from "../helpers/log-capture.js";
import { activeEntry, contextFor, testQueue } from "./host-parts.js";

const OP: PreSendMessage = Object.freeze({
  point: "pre_send_message",
  sessionId: "cao-unit",
  sender: "0000aaaa",
  receiver: "1111bbbb",
  message: "hello",
  orchestrationType: "send_message",
});

/**
 * A chain over `plugins` (name → definePlugin object), listed to the table in the order given, as the catalog would.
 * `abandoned` collects the names of plugins whose call the chain gave up on (what a worker plugin is told).
 */
function chainOf(plugins: Record<string, object>, timeoutMs = 1000) {
  const logs = captureLogs();
  const abandoned: string[] = [];
  const table = new InterceptorTable(new PluginScope(false, () => []));
  table.rebuild(
    Object.entries(plugins).map(([name, definition]) => {
      const recognised = recognisePlugin(definition, contextFor(name));
      if (!recognised.ok) throw new Error(recognised.reason);
      const plugin = {
        ...recognised.plugin,
        interceptors: recognised.plugin.interceptors.map((i) => ({ ...i, abandon: () => void abandoned.push(name) })),
      };
      return activeEntry(name, testQueue().queue, plugin);
    }),
  );
  return { chain: new InterceptorChain({ table, timeoutMs, log: logs.logger }), logs, abandoned };
}

describe("order", () => {
  it("runs by priority (higher first), then plugin name, then the order a plugin declares its interceptors", async () => {
    const calls: string[] = [];
    const mark = (label: string) => () => void calls.push(label);
    const { chain } = chainOf({
      zeta: definePlugin({ intercepts: { pre_send_message: mark("zeta") } }),
      alpha: definePlugin({ intercepts: { pre_send_message: [mark("alpha-1"), mark("alpha-2")] } }),
      urgent: definePlugin({ intercepts: { pre_send_message: { priority: 10, intercept: mark("urgent") } } }),
      late: definePlugin({ intercepts: { pre_send_message: { priority: -5, intercept: mark("late") } } }),
    });
    expect(await chain.run(OP)).toEqual({ denied: false, op: OP });
    expect(calls).toEqual(["urgent", "alpha-1", "alpha-2", "zeta", "late"]);
  });

  it("with no interceptor at the point, the operation passes unchanged", async () => {
    const { chain } = chainOf({
      other: definePlugin({ intercepts: { pre_create_session: () => deny("not this point") } }),
    });
    expect(await chain.run(OP)).toEqual({ denied: false, op: OP });
  });
});

describe("decisions", () => {
  it("the first deny ends the chain, naming its plugin and reason, with the operation as modified so far", async () => {
    const calls: string[] = [];
    const { chain } = chainOf({
      a: definePlugin({ intercepts: { pre_send_message: () => modify({ message: "edited" }) } }),
      b: definePlugin({ intercepts: { pre_send_message: () => deny("no thanks") } }),
      c: definePlugin({ intercepts: { pre_send_message: () => void calls.push("c") } }),
    });
    expect(await chain.run(OP)).toEqual({
      denied: true,
      plugin: "b",
      reason: "no thanks",
      op: { ...OP, message: "edited" },
    });
    expect(calls).toEqual([]);
  });

  it("each interceptor sees the operation as the ones before it changed it, frozen; allow() and nothing both let it through", async () => {
    const seen: { message: string; frozen: boolean }[] = [];
    const look = (op: PreSendMessage) => void seen.push({ message: op.message, frozen: Object.isFrozen(op) });
    const { chain } = chainOf({
      a: definePlugin({
        intercepts: { pre_send_message: (op) => (look(op), modify({ message: `${op.message} +a` })) },
      }),
      b: definePlugin({ intercepts: { pre_send_message: (op) => (look(op), allow()) } }),
      c: definePlugin({
        intercepts: { pre_send_message: (op) => (look(op), modify({ message: `${op.message} +c` })) },
      }),
      d: definePlugin({ intercepts: { pre_send_message: look } }),
    });
    const verdict = await chain.run(OP);
    expect(seen).toEqual([
      { message: "hello", frozen: true },
      { message: "hello +a", frozen: true },
      { message: "hello +a", frozen: true },
      { message: "hello +a +c", frozen: true },
    ]);
    expect(verdict).toEqual({ denied: false, op: { ...OP, message: "hello +a +c" } });
    expect(OP.message).toBe("hello"); // the caller's object is never changed
  });

  it("modify changes only the fields the point allows; the others are dropped with a WARN naming them", async () => {
    const { chain, logs } = chainOf({
      greedy: definePlugin({
        // Cast: the API's types refuse these fields at compile time; a plain-JS plugin can still return them.
        intercepts: {
          pre_send_message: (() =>
            modify({ message: "changed", receiver: "elsewhere", workingDirectory: "/" })) as never,
        },
      }),
    });
    const verdict = await chain.run(OP);
    expect(verdict).toEqual({ denied: false, op: { ...OP, message: "changed" } });
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      'plugin "greedy" interceptor intercepts.pre_send_message at pre_send_message tried to change receiver, workingDirectory, which pre_send_message does not allow; dropped (it may change message)',
    ]);
  });
});

describe("an interceptor that fails", () => {
  const failures = {
    throws: () => {
      throw new Error("exploded");
    },
    rejects: () => Promise.reject(new Error("rejected")),
    hangs: () => new Promise(() => {}),
    "returns a number": () => 42 as never,
    "denies without a reason": () => ({ decision: "deny" }) as never,
  };
  const why: Record<keyof typeof failures, string> = {
    throws: "threw: exploded",
    rejects: "rejected: rejected",
    hangs: "did not answer within 50 ms",
    "returns a number": "returned number 42, not a decision",
    "denies without a reason": "returned a deny without a reason",
  };

  for (const [kind, intercept] of Object.entries(failures) as [keyof typeof failures, () => unknown][]) {
    it(`${kind}: counts as allow, with a WARN naming plugin, interceptor and point; the chain goes on`, async () => {
      const { chain, logs } = chainOf(
        {
          broken: definePlugin({ intercepts: { pre_send_message: intercept as never } }),
          next: definePlugin({ intercepts: { pre_send_message: () => modify({ message: "after" }) } }),
        },
        50,
      );
      expect(await chain.run(OP)).toEqual({ denied: false, op: { ...OP, message: "after" } });
      expect(logs.warnings()).toEqual([
        expect.objectContaining({
          plugin: "broken",
          point: "pre_send_message",
          interceptor: "intercepts.pre_send_message",
          msg: `plugin "broken" interceptor intercepts.pre_send_message at pre_send_message ${why[kind]}; counted as allow`,
        }),
      ]);
    });

    it(`${kind}, declared failClosed: counts as deny, naming the interceptor and why`, async () => {
      const { chain, logs } = chainOf(
        {
          strict: definePlugin({
            intercepts: { pre_send_message: { failClosed: true, intercept: intercept as never } },
          }),
        },
        50,
      );
      expect(await chain.run(OP)).toEqual({
        denied: true,
        plugin: "strict",
        reason: `interceptor intercepts.pre_send_message failed (failClosed): ${why[kind]}`,
        op: OP,
      });
      expect(logs.warnings().map((w) => w.msg)).toEqual([
        `plugin "strict" interceptor intercepts.pre_send_message at pre_send_message ${why[kind]}; counted as deny (failClosed)`,
      ]);
    });
  }

  it("a call that misses its deadline is abandoned (a worker plugin's thread would be ended); one that answers is not", async () => {
    const { chain, abandoned } = chainOf(
      {
        quick: definePlugin({ intercepts: { pre_send_message: async () => allow() } }),
        stuck: definePlugin({ intercepts: { pre_send_message: () => new Promise(() => {}) } }),
      },
      30,
    );
    await chain.run(OP);
    expect(abandoned).toEqual(["stuck"]);
  });
});
