/**
 * One plugin's delivery queue (src/plugins/host/delivery/plugin-queue.ts) on its own: order, one call at a time,
 * handler failures and timeouts, the overflow limit and the counts GET /plugins/:name shows. Time is driven by hand
 * through checkOverdue (the coarse clock's tick), except in the one test that runs the real clock.
 */
import { describe, expect, it } from "vitest";
import type { CaoEvent, MessageSentEvent } from "../../src/plugins/api/index.js";
import { TimeoutClock } from "../../src/plugins/host/delivery/timeout-clock.js";
import { gate, handler, sent, sessionCreated, settle, testQueue } from "./host-parts.js";

const text = (event: CaoEvent) => (event as MessageSentEvent).message;

describe("order", () => {
  it("delivers events in the order pushed, and each event to the handlers in their order", () => {
    const { queue } = testQueue();
    const seen: string[] = [];
    queue.setHandlers([
      handler("message_sent", (e) => void seen.push(`a:${text(e)}`)),
      handler("message_sent", (e) => void seen.push(`b:${text(e)}`)),
    ]);
    for (const m of ["1", "2", "3"]) queue.push(sent(m));
    expect(seen).toEqual(["a:1", "b:1", "a:2", "b:2", "a:3", "b:3"]);
    expect(queue.snapshot()).toEqual({ delivered: 6, failed: 0, timedOut: 0, dropped: 0, pending: 0 });
  });

  it("starts the next call only when the async one before it settled", async () => {
    const { queue } = testQueue();
    const first = gate();
    const started: string[] = [];
    queue.setHandlers([
      handler("message_sent", (e) => {
        started.push(`slow:${text(e)}`);
        return text(e) === "1" ? first.promise : undefined;
      }),
      handler("message_sent", (e) => void started.push(`next:${text(e)}`)),
    ]);
    queue.push(sent("1"));
    queue.push(sent("2"));
    await settle();
    expect(started).toEqual(["slow:1"]);
    expect(queue.pending).toBe(2);
    first.resolve();
    await queue.whenIdle();
    expect(started).toEqual(["slow:1", "next:1", "slow:2", "next:2"]);
  });

  it("passes over events of types the plugin does not hook, without counting them", () => {
    const { queue } = testQueue();
    const seen: string[] = [];
    queue.setHandlers([handler("message_sent", (e) => void seen.push(text(e)))]);
    queue.push(sessionCreated("cao-a"));
    queue.push(sent("x"));
    expect(seen).toEqual(["x"]);
    expect(queue.snapshot()).toMatchObject({ delivered: 1, pending: 0 });
    expect(queue.eventTypes()).toEqual(["message_sent"]);
  });

  it("new handlers take over from the next event; the event in flight finishes with the handlers it started with", async () => {
    const { queue } = testQueue();
    const held = gate();
    const seen: string[] = [];
    queue.setHandlers([
      handler("message_sent", () => held.promise),
      handler("message_sent", (e) => void seen.push(`old:${text(e)}`)),
    ]);
    queue.push(sent("1"));
    queue.push(sent("2"));
    queue.setHandlers([handler("message_sent", (e) => void seen.push(`new:${text(e)}`))]);
    held.resolve();
    await queue.whenIdle();
    expect(seen).toEqual(["old:1", "new:2"]);
  });

  it("asks to be started once when it gets work while idle, not on every push", async () => {
    const t = testQueue({ kick: "hold" });
    t.queue.setHandlers([handler("message_sent", () => undefined)]);
    t.queue.push(sent("1"));
    t.queue.push(sent("2"));
    expect(t.kicks()).toBe(1);
    t.queue.run();
    await t.queue.whenIdle();
    t.queue.push(sent("3"));
    expect(t.kicks()).toBe(2);
  });

  it("yields to I/O after 1000 synchronous calls, so a long backlog cannot hold the event loop", async () => {
    const { queue } = testQueue({ kick: "hold", limit: 5000 });
    let calls = 0;
    queue.setHandlers([handler("message_sent", () => void calls++)]);
    for (let i = 0; i < 2500; i++) queue.push(sent(String(i)));
    queue.run();
    expect(calls).toBe(1000);
    await queue.whenIdle();
    expect(calls).toBe(2500);
  });
});

describe("failures", () => {
  it("a handler that throws or rejects is counted and warned about (plugin, handler, event type), and delivery goes on", async () => {
    const { queue, logs } = testQueue({ name: "shaky" });
    const after: string[] = [];
    queue.setHandlers([
      handler("message_sent", (e) => {
        if (text(e) === "sync") throw new Error("sync boom");
        return Promise.reject(new Error("async boom"));
      }),
      handler("message_sent", (e) => void after.push(text(e))),
    ]);
    queue.push(sent("sync"));
    queue.push(sent("async"));
    await queue.whenIdle();
    expect(after).toEqual(["sync", "async"]);
    expect(queue.stats).toEqual({ delivered: 2, failed: 2, timedOut: 0, dropped: 0 });
    expect(logs.warnings().map(({ plugin, handler, eventType }) => ({ plugin, handler, eventType }))).toEqual([
      { plugin: "shaky", handler: "hooks.message_sent", eventType: "message_sent" },
      { plugin: "shaky", handler: "hooks.message_sent", eventType: "message_sent" },
    ]);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      'plugin "shaky" handler hooks.message_sent failed on message_sent: sync boom',
      'plugin "shaky" handler hooks.message_sent failed on message_sent: async boom',
    ]);
  });
});

describe("timeouts", () => {
  it("a call still pending when the clock reaches its timeout is given up: counted, warned, abandoned, and the next event goes on", async () => {
    const clock = new TimeoutClock(1000);
    const { queue, logs } = testQueue({ name: "slow", clock, handlerTimeoutMs: 1000 });
    const abandoned: string[] = [];
    const seen: string[] = [];
    queue.setHandlers([
      {
        ...handler("message_sent", (e) => (text(e) === "hang" ? new Promise(() => {}) : void seen.push(text(e)))),
        abandon: () => void abandoned.push("hang"),
      },
    ]);
    queue.push(sent("hang"));
    queue.push(sent("next"));
    const due = clock.tick + clock.ticksFor(1000);
    queue.checkOverdue(due - 1);
    expect(queue.stats.timedOut).toBe(0);
    expect(seen).toEqual([]);
    queue.checkOverdue(due);
    expect(queue.stats.timedOut).toBe(1);
    expect(abandoned).toEqual(["hang"]);
    await queue.whenIdle();
    expect(seen).toEqual(["next"]);
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      'plugin "slow" handler hooks.message_sent timed out after 1000 ms on message_sent',
    ]);
  });

  it("what a timed-out call does later is ignored: a late success is not counted, a late failure is only a debug line", async () => {
    const clock = new TimeoutClock(1000);
    const { queue, logs } = testQueue({ clock, handlerTimeoutMs: 1000 });
    const late = [gate(), gate()];
    let call = 0;
    queue.setHandlers([handler("message_sent", () => late[call++]!.promise)]);
    queue.push(sent("1"));
    queue.checkOverdue(clock.ticksFor(1000));
    queue.push(sent("2"));
    await settle();
    queue.checkOverdue(clock.ticksFor(1000) * 2);
    late[0]!.resolve();
    late[1]!.reject(new Error("too late"));
    await settle();
    expect(queue.stats).toEqual({ delivered: 0, failed: 0, timedOut: 2, dropped: 0 });
    expect(logs.warnings()).toHaveLength(2); // the two timeouts, nothing for the late outcomes
    expect(logs.lines.filter((l) => l.level === 20).map((l) => l.msg)).toEqual([
      'late rejection from a timed-out handler of "p"',
    ]);
  });

  it("with the clock running, a hung call is given up no earlier than its timeout", async () => {
    const clock = new TimeoutClock(30);
    const { queue } = testQueue({ clock, handlerTimeoutMs: 30 });
    clock.add(queue);
    try {
      queue.setHandlers([handler("message_sent", () => new Promise(() => {}))]);
      const started = performance.now();
      queue.push(sent("hang"));
      await queue.whenIdle();
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      expect(queue.stats.timedOut).toBe(1);
    } finally {
      clock.delete(queue);
    }
  });
});

describe("overflow", () => {
  it("beyond the limit new events are dropped and counted, with one WARN per episode and one when it has caught up", async () => {
    const { queue, logs } = testQueue({ name: "behind", kick: "hold", limit: 3 });
    const seen: string[] = [];
    queue.setHandlers([handler("message_sent", (e) => void seen.push(text(e)))]);
    for (const m of ["1", "2", "3", "4", "5"]) queue.push(sent(m));
    expect(queue.snapshot()).toEqual({ delivered: 0, failed: 0, timedOut: 0, dropped: 2, pending: 3 });
    expect(logs.warnings().map((w) => w.msg)).toEqual([
      'plugin "behind" is 3 events behind; new events for it are dropped until it catches up',
    ]);
    queue.run();
    await queue.whenIdle();
    expect(seen).toEqual(["1", "2", "3"]); // the oldest are kept, the newest dropped
    expect(
      logs
        .warnings()
        .map((w) => w.msg)
        .at(-1),
    ).toBe('plugin "behind" caught up; 2 events were dropped while its queue was full');
    for (const m of ["6", "7", "8", "9"]) queue.push(sent(m));
    expect(queue.stats.dropped).toBe(3);
    expect(logs.warnings()).toHaveLength(3); // a new episode warns again
  });
});

describe("pause, resume, clear", () => {
  it("pause stops at the next event boundary and resolves when the event in flight is done; events wait until resume", async () => {
    const { queue } = testQueue();
    const held = gate();
    const seen: string[] = [];
    queue.setHandlers([
      handler("message_sent", (e) =>
        text(e) === "1" ? held.promise.then(() => void seen.push("1")) : void seen.push(text(e)),
      ),
    ]);
    queue.push(sent("1"));
    queue.push(sent("2"));
    let paused = false;
    const pausing = queue.pause().then(() => (paused = true));
    await settle();
    expect(paused).toBe(false);
    held.resolve();
    await pausing;
    expect(seen).toEqual(["1"]);
    queue.push(sent("3"));
    let idle = false;
    void queue.whenIdle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false); // a paused queue with events is not idle
    queue.resume();
    await queue.whenIdle();
    expect(seen).toEqual(["1", "2", "3"]);
  });

  it("clear forgets what is queued once paused, says how many, and wakes whoever waits for idle", async () => {
    const { queue } = testQueue({ kick: "hold" });
    queue.setHandlers([handler("message_sent", () => undefined)]);
    for (const m of ["1", "2"]) queue.push(sent(m));
    await queue.pause();
    const idle = queue.whenIdle();
    expect(queue.clear()).toBe(2);
    await idle;
    expect(queue.pending).toBe(0);
  });

  it("clear refuses while an event is being delivered", () => {
    const { queue } = testQueue();
    queue.setHandlers([handler("message_sent", () => new Promise(() => {}))]);
    queue.push(sent("1"));
    expect(() => queue.clear()).toThrow(/pause the queue before clearing it/);
  });
});
