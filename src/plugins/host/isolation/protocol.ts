/**
 * The messages between the server and a plugin's worker thread (structured clones, so plain data only). The server
 * asks (setup, a handler call, an interceptor call, teardown), each request numbered; the worker answers each with
 * `settled` under the same number (an interceptor call with its decision as `value`). Request 0 is implicit: the worker imports and recognises the plugin as soon as it starts, and answers 0 with
 * the plugin's handlers and interceptors (or why it is not a plugin).
 */
import type { InterceptPoint } from "../../api/points.js";
import type { PluginSource } from "../discovery/source.js";

/** What a worker is started with (`workerData`). */
export interface WorkerData {
  source: PluginSource;
  caoHome: string;
  env: Record<string, string | undefined>;
  /** The plugin's `config:` section with `${VAR}`s replaced; the worker validates it with the plugin's schema. */
  config: unknown;
}

export type HostRequest =
  | { type: "setup"; id: number }
  | { type: "teardown"; id: number }
  /** `event` is the event's toJSON() shape; `handler` an index into the handlers the worker reported. */
  | { type: "call"; id: number; handler: number; event: Record<string, unknown> }
  /** `op` is the operation's plain shape (camelCase, as inline interceptors get it); `interceptor` an index into those reported. */
  | { type: "intercept"; id: number; interceptor: number; op: Record<string, unknown> };

export interface HandlerDescription {
  eventType: string;
  name: string;
}

export interface InterceptorDescription {
  point: InterceptPoint;
  priority: number;
  failClosed: boolean;
  name: string;
}

export interface SerializedError {
  message: string;
  stack?: string;
}

export type WorkerMessage =
  | {
      type: "settled";
      id: number;
      error?: SerializedError;
      /** The answer to request 0: what the plugin serves. */
      loaded?: {
        style: "class" | "instance" | "definePlugin";
        handlers: HandlerDescription[];
        interceptors: InterceptorDescription[];
      };
      /** What an interceptor returned (a decision, or undefined for allow), as a structured clone. */
      value?: unknown;
    }
  /** A line the plugin logged through its context logger; the server writes it to its own log, with the plugin's name. */
  | { type: "log"; level: LogLevel; args: unknown[] };

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];
