import type { Logger } from "pino";
import { callerStack, type PluginScope } from "./plugin-scope.js";
import { errorMessage } from "../../../util/errors.js";

/** What one registry asks of the process while it is loaded. */
export interface ProcessGuard {
  readonly log: Logger;
  readonly scope: PluginScope;
  /** Log unhandled promise rejections instead of letting Node exit. */
  readonly rejections: boolean;
  /**
   * Contain plugin code: an uncaught exception attributed to a plugin is a WARN (any other still ends the process,
   * exit 1), process.exit() called from plugin code is refused with a WARN, and a microtask a plugin queued cannot
   * throw past it.
   */
  readonly contain: boolean;
}

const guards = new Set<ProcessGuard>();
/** What we replaced, saved when we replace it. */
const original = { exit: process.exit, queueMicrotask: globalThis.queueMicrotask };
let listening = { rejections: false, contain: false };

/**
 * Installs the process-level handlers `guard` asks for and returns their uninstaller. There is one set of handlers
 * per process, shared by every registry in it: each event is offered to every guard, so one registry's plugin is
 * never mistaken for a stranger by another registry. The last uninstall restores process.exit and queueMicrotask.
 */
export function guardProcess(guard: ProcessGuard): () => void {
  guards.add(guard);
  sync();
  return () => {
    guards.delete(guard);
    sync();
  };
}

function sync(): void {
  const want = { rejections: false, contain: false };
  for (const guard of guards) {
    want.rejections ||= guard.rejections;
    want.contain ||= guard.contain;
  }
  if (want.rejections !== listening.rejections) {
    if (want.rejections) process.on("unhandledRejection", onRejection);
    else process.off("unhandledRejection", onRejection);
  }
  if (want.contain !== listening.contain) {
    if (want.contain) {
      process.on("uncaughtException", onUncaught);
      original.exit = process.exit;
      original.queueMicrotask = globalThis.queueMicrotask;
      process.exit = refusingExit;
      globalThis.queueMicrotask = attributedQueueMicrotask;
    } else {
      process.off("uncaughtException", onUncaught);
      // Put back only what is still ours: if someone wrapped our version meanwhile, it stays, and passes through.
      if (process.exit === refusingExit) process.exit = original.exit;
      if (globalThis.queueMicrotask === attributedQueueMicrotask) globalThis.queueMicrotask = original.queueMicrotask;
    }
  }
  listening = want;
}

/** The guard (and plugin) to blame for `error`, among the guards that have `flag` on. */
function claim(error: unknown, flag: "rejections" | "contain"): { guard: ProcessGuard; name: string } | undefined {
  for (const guard of guards) {
    if (!guard[flag]) continue;
    const name = guard.scope.culprit(error);
    if (name !== undefined) return { guard, name };
  }
  return undefined;
}

function firstWith(flag: "rejections" | "contain"): ProcessGuard | undefined {
  for (const guard of guards) if (guard[flag]) return guard;
  return undefined;
}

/** A plugin's stray rejection (a background task nobody awaited) is a WARN naming it; any other, an ERROR. */
function onRejection(reason: unknown): void {
  const blamed = claim(reason, "rejections");
  if (blamed) {
    blamed.guard.log.warn(
      { plugin: blamed.name, err: reason },
      `plugin "${blamed.name}" left a promise rejection unhandled: ${errorMessage(reason)}`,
    );
    return;
  }
  firstWith("rejections")?.log.error({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
}

/**
 * An exception nobody could catch: thrown in a plugin's timer, emitted as an 'error' with no listener by its socket or
 * emitter. A plugin's is survived with a WARN. Anything else is CAO's own bug and ends the process with exit code 1
 * after logging it, as Node would: continuing after our own bug is worse than restarting.
 */
function onUncaught(error: unknown): void {
  const blamed = claim(error, "contain");
  if (blamed) {
    blamed.guard.log.warn(
      { plugin: blamed.name, err: error },
      `plugin "${blamed.name}" threw outside any handler: ${errorMessage(error)}`,
    );
    return;
  }
  firstWith("contain")?.log.fatal({ err: error }, `uncaught exception: ${errorMessage(error)}`);
  original.exit.call(process, 1);
}

/** process.exit(): refused when plugin code calls it (by context, else by stack); everyone else exits as usual. */
function refusingExit(this: unknown, code?: number | string | null): never {
  const stack = callerStack();
  for (const guard of guards) {
    if (!guard.contain) continue;
    const name = guard.scope.current() ?? guard.scope.inStack(stack);
    if (name === undefined) continue;
    guard.log.warn(
      { plugin: name, code },
      `plugin "${name}" called process.exit(${code ?? ""}): refused, plugins cannot end the process`,
    );
    return undefined as never;
  }
  return original.exit.call(process, code);
}

/**
 * Node reports an exception thrown by a queueMicrotask callback outside the callback's async context, so the
 * uncaughtException handler cannot tell whose it was. A callback queued by plugin code is therefore wrapped here,
 * where the context is still known, and its exception reported like any other of that plugin's.
 */
function attributedQueueMicrotask(callback: () => void): void {
  if (typeof callback === "function") {
    for (const guard of guards) {
      const name = guard.contain ? guard.scope.current() : undefined;
      if (name === undefined) continue;
      original.queueMicrotask(() => {
        try {
          callback();
        } catch (error) {
          guard.log.warn(
            { plugin: name, err: error },
            `plugin "${name}" threw outside any handler: ${errorMessage(error)}`,
          );
        }
      });
      return;
    }
  }
  original.queueMicrotask(callback);
}
