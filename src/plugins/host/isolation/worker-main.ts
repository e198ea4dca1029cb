/**
 * The entry of a plugin's worker thread (docs/contract.md#plugin-api). It loads the plugin with the very code the server uses inline
 * (the same module loader, transpile cache and recognition), then serves the server's requests: setup, one handler
 * call per event (rebuilt from its toJSON() shape into its own event class, frozen), one interceptor call per
 * intercepted operation (its plain shape, frozen; the decision goes back), teardown. Whatever the plugin
 * does to this thread's globals stays in this thread; if it loops, exhausts its heap or dies, the server ends the
 * thread and starts another.
 */
import { parentPort, workerData } from "node:worker_threads";
import { errorMessage } from "../../../util/errors.js";
import { eventFromJSON, isEventType } from "../../api/events.js";
import type { PluginContext, PluginLogger } from "../../api/plugin.js";
import { PluginModuleLoader } from "../loading/module-loader.js";
import { recognisePlugin, type PluginInstance } from "../loading/recognise.js";
import { validateConfig } from "../config/validate-config.js";
import {
  LOG_LEVELS,
  type HostRequest,
  type LogLevel,
  type SerializedError,
  type WorkerData,
  type WorkerMessage,
} from "./protocol.js";

if (!parentPort) throw new Error("worker-main runs as a plugin's worker thread, started by the plugin host");
const port = parentPort;
const data = workerData as WorkerData;
const name = data.source.name;
// Bound now: a plugin that replaces Array.prototype or JSON must not break how this thread answers the server.
const post = port.postMessage.bind(port) as (message: WorkerMessage) => void;

const logger = forwardingLogger();
const context: PluginContext & { config: unknown } = {
  name,
  logger,
  caoHome: data.caoHome,
  env: data.env,
  config: undefined,
};
let plugin: PluginInstance | undefined;

// Inline, a plugin's stray rejection is a WARN (the process guard); the same here, instead of Node ending the thread.
process.on("unhandledRejection", (reason) =>
  logger.warn(
    { err: serialize(reason) },
    `plugin "${name}" left a promise rejection unhandled: ${errorMessage(reason)}`,
  ),
);

port.on("message", (request: HostRequest) => {
  switch (request.type) {
    case "setup":
      return settle(request.id, () => plugin!.setup());
    case "teardown":
      return settle(request.id, () => plugin!.teardown());
    case "call": {
      const handler = plugin!.handlers[request.handler];
      if (!handler) return reply(request.id, new Error(`no handler #${request.handler} in this version of the plugin`));
      return settle(request.id, () => handler.fn.call(handler.thisArg, revive(request.event), handler.context));
    }
    case "intercept": {
      const interceptor = plugin!.interceptors[request.interceptor];
      if (!interceptor)
        return reply(request.id, new Error(`no interceptor #${request.interceptor} in this version of the plugin`));
      // Frozen, as inline: the operation is read, and changed only by returning modify(patch).
      return settle(
        request.id,
        () => interceptor.fn.call(interceptor.thisArg, Object.freeze(request.op), interceptor.context),
        true,
      );
    }
  }
});

void load();

async function load(): Promise<void> {
  const loader = new PluginModuleLoader(data.caoHome);
  let exports: unknown;
  try {
    exports = await loader.import(data.source);
  } catch (error) {
    return reply(0, new Error(`import failed: ${errorMessage(error)}`));
  } finally {
    await loader.cacheWritten();
  }
  const recognised = recognisePlugin(exports, context);
  if (!recognised.ok) return reply(0, new Error(recognised.reason));
  // The schema is the plugin's own code, so it runs here, beside the plugin (as inline it runs beside it there).
  const validated = await validateConfig(recognised.plugin.configSchema, data.config);
  if (!validated.ok) return reply(0, new Error(validated.error));
  context.config = validated.value;
  recognised.plugin.configure(validated.value);
  plugin = recognised.plugin;
  post({
    type: "settled",
    id: 0,
    loaded: {
      style: plugin.style,
      handlers: plugin.handlers.map((h) => ({ eventType: h.eventType, name: h.name })),
      interceptors: plugin.interceptors.map((i) => ({
        point: i.point,
        priority: i.priority,
        failClosed: i.failClosed,
        name: i.name,
      })),
    },
  });
}

/**
 * Runs one request and answers it once it settled (a call that never settles is the server's to time out); with
 * `withValue` (an interceptor) the answer carries what it returned or resolved to.
 */
function settle(id: number, action: () => unknown, withValue = false): void {
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    return reply(id, error);
  }
  if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
    (result as PromiseLike<unknown>).then(
      (value) => (withValue ? answer(id, value) : reply(id)),
      (error: unknown) => reply(id, error),
    );
    return;
  }
  if (withValue) answer(id, result);
  else reply(id);
}

function reply(id: number, error?: unknown): void {
  post(error === undefined ? { type: "settled", id } : { type: "settled", id, error: serialize(error) });
}

/** An interceptor's decision back to the server; a value that cannot be cloned (a function, …) fails the call instead. */
function answer(id: number, value: unknown): void {
  try {
    post({ type: "settled", id, value });
  } catch (error) {
    reply(id, new Error(`returned a value that cannot cross to the server: ${errorMessage(error)}`));
  }
}

/** The event as inline handlers get it: its own class, frozen; an event type this package does not know stays a frozen plain object. */
function revive(json: Record<string, unknown>): unknown {
  return isEventType(json.event_type) ? eventFromJSON(json) : Object.freeze(json);
}

function serialize(error: unknown): SerializedError {
  const out: SerializedError = { message: errorMessage(error) };
  if (error instanceof Error && typeof error.stack === "string") out.stack = error.stack;
  return out;
}

/** A logger with pino's call shape whose lines the server writes to its own log, under the plugin's name. */
function forwardingLogger(): PluginLogger {
  const forward =
    (level: LogLevel) =>
    (...args: unknown[]): void => {
      try {
        post({ type: "log", level, args });
      } catch {
        // Not cloneable (a function, a socket): send what a log line would show of it.
        post({
          type: "log",
          level,
          args: args.map((arg) =>
            typeof arg === "string" ? arg : arg instanceof Error ? { err: serialize(arg) } : safeText(arg),
          ),
        });
      }
    };
  const out = {} as Record<LogLevel, (...args: unknown[]) => void>;
  for (const level of LOG_LEVELS) out[level] = forward(level);
  return out as unknown as PluginLogger;
}

function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "(unprintable)";
  }
}
