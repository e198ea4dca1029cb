import type { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { Deadline, TIMED_OUT } from "../../../util/deadline.js";
import { errorMessage } from "../../../util/errors.js";
import type { CaoEvent } from "../../api/events.js";
import type { PluginContext } from "../../api/plugin.js";
import { AbandonedCall } from "../delivery/abandoned-call.js";
import type { PluginSource } from "../discovery/source.js";
import type { HandlerEntry, InterceptorEntry, PluginInstance } from "../loading/recognise.js";
import { LOG_LEVELS, type HostRequest, type WorkerMessage } from "./protocol.js";
import { RestartBudget } from "./restart-budget.js";
import { startWorkerThread } from "./worker-thread.js";

export interface WorkerPluginOptions {
  source: PluginSource;
  /** Handed to the plugin's setup() in its worker (the logger is replaced there by one that forwards here). */
  context: PluginContext;
  /** The plugin's interpolated `config:` section, validated in the worker by the plugin's own schema. */
  config: unknown;
  heapMb: number;
  handlerTimeoutMs: number;
  /** The deadline of one interceptor call; an interceptor that runs past it ends the worker like a handler. */
  interceptTimeoutMs: number;
  setupTimeoutMs: number;
  deaths: { limit: number; windowMs: number };
  /** The registry's log, for what happens to the worker. */
  log: Logger;
  /** The plugin's own logger (a child named after it): the lines the plugin logs in its worker land here. */
  pluginLog: Logger;
  /** Called once when the plugin died too often and is given up (its worker already ended). */
  onFailed(plugin: WorkerPlugin, reason: string): void;
}

type Loaded = NonNullable<Extract<WorkerMessage, { type: "settled" }>["loaded"]>;

interface Pending {
  /** Request 0 resolves with what the worker loaded, an interceptor call with its decision, the others with undefined. */
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The server's handle on a plugin that runs in its own worker thread (docs/contract.md#plugin-api). To the lifecycle, the queues and hot
 * reload it is a PluginInstance like any other: setup(), teardown(), handlers that return a promise, settled when the
 * worker answered, and interceptors whose promise resolves to the decision made there. Behind that it owns the thread:
 * a handler that runs past the handler timeout, an interceptor past the intercept deadline, or a worker that
 * exits, runs out of heap or throws uncaught, ends the thread; the plugin is started again (import, setup) with a WARN,
 * and the calls queued meanwhile go to the new thread. After `deaths.limit` deaths within `deaths.windowMs` it stays
 * down and the registry marks it failed.
 */
export class WorkerPlugin implements PluginInstance {
  readonly isolation = "worker";
  readonly name: string;
  style: PluginInstance["style"] = "class";
  handlers: readonly HandlerEntry[] = [];
  interceptors: readonly InterceptorEntry[] = [];
  /** The schema lives in the worker, which validates the config it was started with before the plugin's setup. */
  readonly configSchema = undefined;
  /** Restarts so far, for stats. */
  restarts = 0;
  private worker: Worker | undefined;
  private state: "starting" | "running" | "restarting" | "stopping" | "failed" | "closed" = "starting";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Settles when the restart under way has finished (either way); `generation` tells a superseded one. */
  private restarting: Promise<void> = Promise.resolve();
  private generation = 0;
  private readonly budget: RestartBudget;

  private constructor(private readonly options: WorkerPluginOptions) {
    this.name = options.source.name;
    this.budget = new RestartBudget(options.deaths.limit, options.deaths.windowMs);
  }

  /** Starts the plugin's worker and waits, within `deadline`, until the plugin is imported and recognised there. */
  static async load(options: WorkerPluginOptions, deadline: Deadline): Promise<WorkerPlugin | { failed: string }> {
    const plugin = new WorkerPlugin(options);
    try {
      const loaded = await deadline.race(plugin.spawn());
      if (loaded === TIMED_OUT) {
        await plugin.close();
        return { failed: `import did not settle within ${deadline.ms} ms (in its worker thread)` };
      }
      plugin.adopt(loaded);
      return plugin;
    } catch (error) {
      await plugin.close();
      return { failed: errorMessage(error) };
    }
  }

  async setup(): Promise<void> {
    await this.request({ type: "setup", id: 0 });
    if (this.state === "starting") this.state = "running";
  }

  async teardown(): Promise<void> {
    if (!(await this.whenRunning())) return;
    this.state = "stopping"; // a death from here on is the end, not a reason to restart
    await this.request({ type: "teardown", id: 0 });
  }

  /** Ends the worker thread (resolves once it is gone); every call still waiting is abandoned. */
  /** Nothing to do here: the worker configured its plugin with the validated config before reporting it loaded. */
  configure(): void {}

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    const worker = this.worker;
    this.worker = undefined;
    this.abandonAll("the plugin was closed");
    await worker?.terminate();
  }

  private call(index: number, event: CaoEvent): Promise<unknown> {
    const json = event.toJSON();
    if (this.state === "running") return this.request({ type: "call", id: 0, handler: index, event: json });
    return this.whenRunning().then((running) =>
      running
        ? this.request({ type: "call", id: 0, handler: index, event: json })
        : Promise.reject(new AbandonedCall(`plugin "${this.name}" is ${this.state}`)),
    );
  }

  /** An interceptor call: the operation crosses as a structured clone, the decision comes back as one. */
  private intercept(index: number, op: object): Promise<unknown> {
    const request: HostRequest = { type: "intercept", id: 0, interceptor: index, op: { ...op } };
    if (this.state === "running") return this.request(request);
    return this.whenRunning().then((running) =>
      running ? this.request(request) : Promise.reject(new AbandonedCall(`plugin "${this.name}" is ${this.state}`)),
    );
  }

  /** The queue (or the interceptor chain) gave up on a call of `what`: only ending the thread stops it. */
  private abandon(what: string, deadline: string): void {
    if (this.state !== "running") return;
    this.died(`was terminated: ${what} ran past the ${deadline}`);
  }

  /** Whether the plugin runs (after waiting out any restart under way). */
  private async whenRunning(): Promise<boolean> {
    while (this.state === "restarting") await this.restarting;
    return this.state === "running";
  }

  private request(request: HostRequest): Promise<unknown> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new AbandonedCall(`plugin "${this.name}" has no worker (${this.state})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...request, id });
      } catch (error) {
        this.pending.delete(id); // not cloneable: this call fails, the worker is fine
        reject(error instanceof Error ? error : new Error(errorMessage(error)));
      }
    });
  }

  /** Starts a worker thread; resolves with what it loaded (request 0), rejects if the plugin cannot be loaded there. */
  private spawn(): Promise<Loaded> {
    const { source, context, heapMb } = this.options;
    const worker = startWorkerThread(
      { source, caoHome: context.caoHome, env: { ...context.env }, config: this.options.config },
      heapMb,
    );
    this.worker = worker;
    worker.on("message", (message: WorkerMessage) => {
      if (worker === this.worker) this.onMessage(message);
    });
    worker.on("error", (error: Error & { code?: string }) => {
      if (worker !== this.worker) return;
      const why =
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `ran out of memory (heap limit ${heapMb} MB)`
          : `died of an uncaught exception: ${errorMessage(error)}`;
      this.died(why);
    });
    worker.on("exit", (code) => {
      if (worker === this.worker) this.died(`exited with code ${code}`);
    });
    return new Promise<Loaded | undefined>((resolve, reject) =>
      this.pending.set(0, { resolve: resolve as (value: unknown) => void, reject }),
    ).then((loaded) => {
      if (!loaded) throw new Error("its worker answered without a plugin");
      return loaded;
    });
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === "log") {
      if (LOG_LEVELS.includes(message.level) && Array.isArray(message.args)) {
        const [first, ...rest] = message.args;
        (this.options.pluginLog[message.level] as (...args: unknown[]) => void)(first, ...rest);
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error === undefined) return pending.resolve(message.loaded ?? message.value);
    const error = new Error(message.error.message);
    if (message.error.stack) error.stack = message.error.stack;
    pending.reject(error);
  }

  /** The handlers as the queue calls them: each posts the event across and settles with the worker's answer. */
  private adopt(loaded: Loaded): void {
    this.style = loaded.style;
    this.handlers = loaded.handlers.map(({ eventType, name }, index): HandlerEntry => ({
      eventType,
      name,
      fn: (event) => this.call(index, event as CaoEvent),
      thisArg: undefined,
      context: this.options.context,
      abandon: () => this.abandon(`handler ${name}`, `${this.options.handlerTimeoutMs} ms handler timeout`),
      ready: () => (this.state === "restarting" ? this.whenRunning() : undefined),
    }));
    // The caller of an intercepted operation is waiting, so a restart under way counts within the intercept deadline.
    this.interceptors = loaded.interceptors.map(({ point, priority, failClosed, name }, index): InterceptorEntry => ({
      point,
      priority,
      failClosed,
      name,
      fn: (op) => this.intercept(index, op as object),
      thisArg: undefined,
      context: this.options.context,
      abandon: () => this.abandon(`interceptor ${name}`, `${this.options.interceptTimeoutMs} ms intercept deadline`),
    }));
  }

  /** The worker ended (or was ended): restart the plugin, or give it up after too many deaths. */
  private died(why: string): void {
    if (this.state === "closed" || this.state === "failed") return;
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    this.abandonAll(`its worker ${why}`);
    const { log, deaths } = this.options;
    if (this.state === "starting" || this.state === "stopping") {
      // Not running yet, or being torn down: nothing to restart; the start-up or teardown that waits reports it.
      this.state = "closed";
      return;
    }
    if (!this.budget.record()) {
      this.state = "failed";
      this.options.onFailed(
        this,
        `its worker died ${this.budget.count} times within ${deaths.windowMs / 1000} s (last: it ${why})`,
      );
      return;
    }
    log.warn(
      { plugin: this.name, reason: why, deaths: this.budget.count },
      `plugin "${this.name}" worker ${why}; restarting it (${this.budget.count} of ${deaths.limit} deaths allowed within ${deaths.windowMs / 1000} s)`,
    );
    this.state = "restarting";
    this.restarts++;
    this.restarting = this.restart();
  }

  /** A new thread: import and setup again, within one setup timeout; a failure counts as one more death. */
  private async restart(): Promise<void> {
    const generation = ++this.generation;
    const deadline = new Deadline(this.options.setupTimeoutMs);
    try {
      const loaded = await deadline.race(this.spawn());
      if (loaded === TIMED_OUT) throw new Error(`import did not settle within ${deadline.ms} ms`);
      const setup = await deadline.race(this.request({ type: "setup", id: 0 }));
      if (setup === TIMED_OUT) throw new Error(`setup() did not settle within ${deadline.ms} ms`);
      if (generation === this.generation && this.state === "restarting") this.state = "running";
    } catch (error) {
      if (generation === this.generation && this.state === "restarting")
        this.died(`could not be restarted: ${errorMessage(error)}`);
    } finally {
      deadline.clear();
    }
  }

  private abandonAll(why: string): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(new AbandonedCall(why));
  }
}
