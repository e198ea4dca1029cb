/**
 * The router (src/plugins/host/router.ts) on its own: which queues hear which event types, and a held queue (its
 * plugin being swapped for a new version) hearing everything exactly once until it is released. The queues are real
 * and never started here, so `pending` shows what each was given.
 */
import { describe, expect, it } from "vitest";
import { Router } from "../../src/plugins/host/router.js";
import { activeEntry, handler, sent, sessionCreated, testQueue } from "./host-parts.js";

/** A queue that was never started, hooking `types`. */
function queueHooking(...types: string[]) {
  const { queue } = testQueue({ kick: "hold" });
  queue.setHandlers(types.map((type) => handler(type, () => undefined)));
  return queue;
}

describe("routing by event type", () => {
  it("an empty router listens to nothing", () => {
    const router = new Router();
    expect(router.listens("message_sent")).toBe(false);
    router.route(sent("nobody")); // nothing to reach, nothing thrown
  });

  it("an event reaches each queue whose plugin hooks its type, once, and no other", () => {
    const messages = queueHooking("message_sent");
    const both = queueHooking("message_sent", "session_created");
    const sessions = queueHooking("session_created");
    const router = new Router();
    router.rebuild([activeEntry("messages", messages), activeEntry("both", both), activeEntry("sessions", sessions)]);
    expect(router.listens("message_sent")).toBe(true);
    expect(router.listens("terminal_killed")).toBe(false);
    router.route(sent("m"));
    expect([messages.pending, both.pending, sessions.pending]).toEqual([1, 1, 0]);
    router.route(sessionCreated("cao-s"));
    expect([messages.pending, both.pending, sessions.pending]).toEqual([1, 2, 1]);
  });

  it("a queue hooking one type through several handlers still gets the event once", () => {
    const queue = queueHooking("message_sent", "message_sent");
    const router = new Router();
    router.rebuild([activeEntry("twice", queue)]);
    router.route(sent("m"));
    expect(queue.pending).toBe(1);
  });

  it("rebuild replaces the table: a plugin no longer active hears nothing", () => {
    const gone = queueHooking("message_sent");
    const stays = queueHooking("message_sent");
    const router = new Router();
    router.rebuild([activeEntry("gone", gone), activeEntry("stays", stays)]);
    router.rebuild([activeEntry("stays", stays)]);
    router.route(sent("m"));
    expect([gone.pending, stays.pending]).toEqual([0, 1]);
  });

  it("clear forgets every queue, held ones too", () => {
    const routed = queueHooking("message_sent");
    const held = queueHooking("message_sent");
    const router = new Router();
    router.rebuild([activeEntry("routed", routed), activeEntry("held", held)]);
    router.hold(held);
    router.clear();
    expect(router.listens("message_sent")).toBe(false);
    router.route(sent("m"));
    expect([routed.pending, held.pending]).toEqual([0, 0]);
  });
});

describe("holding a queue while its plugin is swapped", () => {
  it("a held queue hears every event type, each event once, while the others still go by type", () => {
    const swapping = queueHooking("message_sent");
    const other = queueHooking("message_sent");
    const router = new Router();
    const active = [activeEntry("swapping", swapping), activeEntry("other", other)];
    router.rebuild(active);
    router.hold(swapping);
    router.hold(swapping); // holding twice changes nothing
    expect(router.listens("terminal_killed")).toBe(true);
    router.route(sent("m"));
    router.route(sessionCreated("cao-s"));
    expect([swapping.pending, other.pending]).toEqual([2, 1]);
    // A rebuild meanwhile (another plugin loaded) keeps it held and out of the table.
    router.rebuild(active);
    router.route(sent("m2"));
    expect([swapping.pending, other.pending]).toEqual([3, 2]);
  });

  it("release goes back to routing by type, with the hooks the new version has", () => {
    const swapping = queueHooking("message_sent");
    const router = new Router();
    router.rebuild([activeEntry("swapping", swapping)]);
    router.hold(swapping);
    swapping.setHandlers([handler("session_created", () => undefined)]); // the new version hooks something else
    router.release(swapping, [activeEntry("swapping", swapping)]);
    expect(router.listens("message_sent")).toBe(false);
    router.route(sent("m"));
    router.route(sessionCreated("cao-s"));
    expect(swapping.pending).toBe(1);
  });
});
