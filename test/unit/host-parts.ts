/**
 * Builders for the unit tests of the plugin host's parts: real queues, real events and real plugin instances, put
 * together by hand the way the registry puts them together, in this process, with no files, tmux or server.
 */
import type { CaoEvent, PluginContext } from "../../src/plugins/api/index.js";
import { MessageSentEvent, SessionCreatedEvent } from "../../src/plugins/api/index.js";
import type { ActiveEntry } from "../../src/plugins/host/catalog.js";
import { PluginQueue, type QueueOptions } from "../../src/plugins/host/delivery/plugin-queue.js";
import { TimeoutClock } from "../../src/plugins/host/delivery/timeout-clock.js";
import { memorySource } from "../../src/plugins/host/discovery/source.js";
import type { HandlerEntry, PluginInstance } from "../../src/plugins/host/loading/recognise.js";
import { captureLogs } from "../helpers/log-capture.js";

export function contextFor(name: string): PluginContext {
  return { name, logger: captureLogs("silent").logger, caoHome: "/nonexistent/cao-home", env: {}, config: undefined };
}

/** One handler of plugin `plugin` for `eventType`, named as definePlugin names its handlers. */
export function handler(eventType: string, fn: (event: CaoEvent) => unknown, plugin = "p"): HandlerEntry {
  return {
    eventType,
    name: `hooks.${eventType}`,
    fn: fn as HandlerEntry["fn"],
    thisArg: undefined,
    context: contextFor(plugin),
  };
}

export interface TestQueue {
  queue: PluginQueue;
  logs: ReturnType<typeof captureLogs>;
  /** How many times the queue asked to be started (it asks once per idle → busy). */
  kicks: () => number;
}

/**
 * A real PluginQueue. By default a kick starts the delivery loop at once, so synchronous handlers have run when
 * push() returns; `kick: "hold"` only counts kicks (the events stay queued, as behind a slow plugin) until run().
 * Its clock is not started: time moves only when the test calls checkOverdue, unless it adds the queue to the clock.
 */
export function testQueue(
  options: Partial<Omit<QueueOptions, "kick" | "logger">> & { kick?: "run" | "hold"; name?: string } = {},
): TestQueue {
  const logs = captureLogs();
  let kicks = 0;
  const handlerTimeoutMs = options.handlerTimeoutMs ?? 1000;
  const queue = new PluginQueue(options.name ?? "p", {
    limit: options.limit ?? 100,
    handlerTimeoutMs,
    clock: options.clock ?? new TimeoutClock(handlerTimeoutMs),
    logger: logs.logger,
    kick: (q) => {
      kicks++;
      if (options.kick !== "hold") q.run();
    },
  });
  return { queue, logs, kicks: () => kicks };
}

/** A plugin instance with these handlers and nothing else to set up, tear down or close. */
export function instanceWith(handlers: HandlerEntry[]): PluginInstance {
  return {
    style: "definePlugin",
    isolation: "inline",
    handlers,
    interceptors: [],
    configSchema: undefined,
    configure: () => undefined,
    setup: () => undefined,
    teardown: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** The catalog entry of a running in-memory plugin `name` fed by `queue`. */
export function activeEntry(name: string, queue: PluginQueue, plugin: PluginInstance = instanceWith([])): ActiveEntry {
  return { status: "active", source: memorySource(name), plugin, queue };
}

export function sent(message: string): MessageSentEvent {
  return new MessageSentEvent({
    sessionId: "cao-unit",
    sender: "0000aaaa",
    receiver: "1111bbbb",
    message,
    orchestrationType: "send_message",
  });
}

export function sessionCreated(name: string): SessionCreatedEvent {
  return new SessionCreatedEvent({ sessionId: name, sessionName: name });
}

/** A promise and the function that settles it, to hold an async handler until the test lets it go on. */
export function gate<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every promise callback queued so far run (and the ones they queue, a few levels deep). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
