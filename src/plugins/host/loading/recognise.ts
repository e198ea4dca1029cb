import { errorMessage } from "../../../util/errors.js";
import { canonicalEventType } from "../../api/aliases.js";
import {
  DEFINED_PLUGIN_BRAND,
  HOOKS_KEY,
  INSTANCE_HOOKS_KEY,
  INSTANCE_INTERCEPTS_KEY,
  INTERCEPTS_KEY,
  PLUGIN_BRAND,
} from "../../api/brand.js";
import type { InstanceHook } from "../../api/hook.js";
import { interceptTag, type InstanceIntercept, type InterceptTag } from "../../api/intercept.js";
import type { InterceptPoint } from "../../api/points.js";
import type { PluginContext, PluginIsolation, PluginLogger } from "../../api/plugin.js";

/** One handler, ready to call as `fn.call(thisArg, event, context)`. */
export interface HandlerEntry {
  readonly eventType: string;
  /** Method name (class plugins) or `hooks.<event>[i]` (definePlugin), for log lines. */
  readonly name: string;
  readonly fn: (this: unknown, event: unknown, context: PluginContext) => unknown;
  readonly thisArg: unknown;
  readonly context: PluginContext;
  /**
   * Called by the queue when this handler's call timed out and was given up. Inline there is nothing to stop (JS
   * cannot cancel a call); a worker plugin ends its worker, the only way to stop a handler stuck in a loop.
   */
  readonly abandon?: () => void;
  /**
   * A promise when the plugin cannot take a call yet (a worker plugin being restarted), else undefined: the queue
   * waits for it before calling, so the handler timeout counts only the handler's own time.
   */
  readonly ready?: () => PromiseLike<unknown> | undefined;
}

/** One interceptor, ready to call as `fn.call(thisArg, op, context)`. */
export interface InterceptorEntry {
  readonly point: InterceptPoint;
  readonly priority: number;
  readonly failClosed: boolean;
  /** Method name (class plugins) or `intercepts.<point>[i]` (definePlugin), for log lines. */
  readonly name: string;
  readonly fn: (this: unknown, op: unknown, context: PluginContext) => unknown;
  readonly thisArg: unknown;
  readonly context: PluginContext;
  /** Called by the chain when this interceptor missed its deadline: a worker plugin ends its worker (see HandlerEntry). */
  readonly abandon?: () => void;
}

/**
 * A plugin reduced to what the registry needs, whatever style it was written in and wherever it runs: the one handle
 * the lifecycle, the queues and hot reload deal with, for inline plugins (here) and worker plugins
 * (isolation/worker-plugin.ts) alike.
 */
export interface PluginInstance {
  readonly style: "class" | "instance" | "definePlugin";
  readonly isolation: PluginIsolation;
  readonly handlers: readonly HandlerEntry[];
  readonly interceptors: readonly InterceptorEntry[];
  /** `static configSchema` of a class plugin, `config` of a definePlugin object (docs/contract.md#configyaml); undefined if none. */
  readonly configSchema: unknown;
  /** Hands the validated config to the plugin (`this.config` of a class plugin); called before setup(). */
  configure(config: unknown): void;
  setup(): unknown;
  teardown(): unknown;
  /** Releases what the plugin holds beyond its own teardown (a worker thread); called last, exactly once. */
  close(): Promise<void>;
}

export type Recognition = { ok: true; plugin: PluginInstance } | { ok: false; reason: string };

/**
 * Turns a module's exports into a plugin: its default export, or its named export `plugin`, may be a CaoPlugin
 * subclass, a CaoPlugin instance, or a definePlugin object. Recognition goes by brand (Symbol.for), never by
 * `instanceof`, so plugins built against another copy of this package are recognised too.
 */
export function recognisePlugin(moduleExports: unknown, context: PluginContext): Recognition {
  const candidate = pickExport(moduleExports);
  if (candidate === undefined) {
    return { ok: false, reason: "it has no default export and no export named `plugin`" };
  }
  if (typeof candidate === "function") {
    const proto = (candidate as { prototype?: Record<PropertyKey, unknown> }).prototype;
    if (!proto || proto[PLUGIN_BRAND] !== true) {
      return { ok: false, reason: `its export is a function that does not extend CaoPlugin (${describe(candidate)})` };
    }
    let instance: object;
    try {
      instance = new (candidate as new () => object)();
    } catch (error) {
      return { ok: false, reason: `its constructor threw: ${errorMessage(error)}` };
    }
    return safely(() => ({ ok: true, plugin: fromInstance(instance, "class", context) }));
  }
  if (typeof candidate === "object" && candidate !== null) {
    const record = candidate as Record<PropertyKey, unknown>;
    if (record[PLUGIN_BRAND] === true)
      return safely(() => ({ ok: true, plugin: fromInstance(record, "instance", context) }));
    if (record[DEFINED_PLUGIN_BRAND] === true || isHookTableShape(record))
      return safely(() => fromDefinition(record, context));
  }
  return {
    ok: false,
    reason: `its export is not a plugin (${describe(candidate)}); export a CaoPlugin subclass, instance or definePlugin({ hooks, intercepts })`,
  };
}

/**
 * The isolation a module's plugin asks for (`static isolation` on a class, on an instance's class, or `isolation` on a
 * definePlugin object), read without instantiating anything; undefined when it says nothing.
 */
export function declaredIsolation(moduleExports: unknown): unknown {
  const candidate: unknown = pickExport(moduleExports);
  if (candidate === null || (typeof candidate !== "object" && typeof candidate !== "function")) return undefined;
  const record = candidate as Record<PropertyKey, unknown>;
  if (typeof candidate === "object" && record[PLUGIN_BRAND] === true)
    return (record.constructor as { isolation?: unknown } | undefined)?.isolation;
  return record.isolation;
}

function pickExport(moduleExports: unknown): unknown {
  if (moduleExports === null || moduleExports === undefined) return undefined;
  if (typeof moduleExports === "function") return moduleExports; // module.exports = class … (CommonJS)
  const mod = moduleExports as Record<PropertyKey, unknown>;
  if (mod[PLUGIN_BRAND] === true || mod[DEFINED_PLUGIN_BRAND] === true) return mod; // module.exports = plugin
  let picked = mod.default ?? mod.plugin;
  // ESM compiled to CommonJS and imported again wraps once more: { default: { default: X } }.
  const inner = picked as Record<PropertyKey, unknown> | undefined;
  if (
    inner &&
    typeof inner === "object" &&
    "default" in inner &&
    inner[PLUGIN_BRAND] !== true &&
    !("hooks" in inner) &&
    !("intercepts" in inner)
  ) {
    picked = inner.default;
  }
  return picked;
}

function fromInstance(instance: object, style: "class" | "instance", context: PluginContext): PluginInstance {
  const target = instance as {
    logger?: PluginLogger;
    setup?: (ctx: PluginContext) => unknown;
    teardown?: () => unknown;
  };
  const handlers: HandlerEntry[] = [];
  const interceptors: InterceptorEntry[] = [];
  const seen = new Set<PropertyKey>(["constructor"]);
  for (
    let proto = Object.getPrototypeOf(instance);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Reflect.ownKeys(proto)) {
      if (seen.has(key)) continue; // an override in a subclass hides (and may un-hook) the base method
      seen.add(key);
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as { [HOOKS_KEY]?: string[] } | undefined;
      const events =
        typeof value === "function" && Object.prototype.hasOwnProperty.call(value, HOOKS_KEY) ? value[HOOKS_KEY]! : [];
      for (const eventType of events) {
        handlers.push({ eventType, name: String(key), fn: value as HandlerEntry["fn"], thisArg: instance, context });
      }
      const tags =
        typeof value === "function" && Object.prototype.hasOwnProperty.call(value, INTERCEPTS_KEY)
          ? (value as { [INTERCEPTS_KEY]?: InterceptTag[] })[INTERCEPTS_KEY]!
          : [];
      for (const tag of tags)
        interceptors.push({
          ...tag,
          name: String(key),
          fn: value as unknown as InterceptorEntry["fn"],
          thisArg: instance,
          context,
        });
    }
  }
  const privateHooks = (instance as { [INSTANCE_HOOKS_KEY]?: InstanceHook[] })[INSTANCE_HOOKS_KEY] ?? [];
  for (const h of privateHooks) {
    handlers.push({ eventType: h.eventType, name: h.name, fn: h.fn as HandlerEntry["fn"], thisArg: instance, context });
  }
  const privateIntercepts =
    (instance as { [INSTANCE_INTERCEPTS_KEY]?: InstanceIntercept[] })[INSTANCE_INTERCEPTS_KEY] ?? [];
  for (const i of privateIntercepts) {
    interceptors.push({
      point: i.point,
      priority: i.priority,
      failClosed: i.failClosed,
      name: i.name,
      fn: i.fn as InterceptorEntry["fn"],
      thisArg: instance,
      context,
    });
  }
  target.logger = context.logger;
  const constructor = (instance as { constructor?: { configSchema?: unknown } }).constructor;
  return {
    style,
    isolation: "inline",
    handlers,
    interceptors,
    configSchema:
      typeof constructor === "function" ? (constructor as { configSchema?: unknown }).configSchema : undefined,
    configure: (config) => {
      (target as { config?: unknown }).config = config;
    },
    setup: () => target.setup?.(context),
    teardown: () => target.teardown?.(),
    close: nothingToClose,
  };
}

function fromDefinition(definition: Record<PropertyKey, unknown>, context: PluginContext): Recognition {
  const hooks = (definition.hooks ?? {}) as Record<string, unknown>;
  const handlers: HandlerEntry[] = [];
  for (const [key, value] of Object.entries(hooks)) {
    const eventType = canonicalEventType(key);
    const list = Array.isArray(value) ? value : [value];
    for (const [index, fn] of list.entries()) {
      if (typeof fn !== "function") {
        return { ok: false, reason: `hooks.${key}${list.length > 1 ? `[${index}]` : ""} is not a function` };
      }
      const name = list.length > 1 ? `hooks.${key}[${index}]` : `hooks.${key}`;
      handlers.push({ eventType, name, fn: fn as HandlerEntry["fn"], thisArg: definition, context });
    }
  }
  const interceptors = interceptorsOfTable(definition, context);
  if (!Array.isArray(interceptors)) return interceptors;
  const setup = definition.setup as ((ctx: PluginContext) => unknown) | undefined;
  const teardown = definition.teardown as (() => unknown) | undefined;
  if (setup !== undefined && typeof setup !== "function") return { ok: false, reason: "its `setup` is not a function" };
  if (teardown !== undefined && typeof teardown !== "function")
    return { ok: false, reason: "its `teardown` is not a function" };
  return {
    ok: true,
    plugin: {
      style: "definePlugin",
      isolation: "inline",
      handlers,
      interceptors,
      configSchema: definition.config,
      configure: () => undefined, // definePlugin hooks and setup read it from their context
      setup: () => setup?.call(definition, context),
      teardown: () => teardown?.call(definition),
      close: nothingToClose,
    },
  };
}

const nothingToClose = (): Promise<void> => Promise.resolve();

/** definePlugin's `intercepts`: point → function, `{ intercept, priority?, failClosed? }`, or a list of those. */
function interceptorsOfTable(
  definition: Record<PropertyKey, unknown>,
  context: PluginContext,
): InterceptorEntry[] | { ok: false; reason: string } {
  const table = definition.intercepts;
  if (table === undefined) return [];
  if (typeof table !== "object" || table === null || Array.isArray(table))
    return { ok: false, reason: "its `intercepts` is not an object" };
  const out: InterceptorEntry[] = [];
  for (const [point, value] of Object.entries(table)) {
    const list = Array.isArray(value) ? value : [value];
    for (const [index, item] of list.entries()) {
      const name = list.length > 1 ? `intercepts.${point}[${index}]` : `intercepts.${point}`;
      const spec =
        typeof item === "function"
          ? { intercept: item }
          : (item as { intercept?: unknown; priority?: number; failClosed?: boolean } | null);
      if (!spec || typeof spec.intercept !== "function")
        return { ok: false, reason: `${name} is not a function nor { intercept: function }` };
      let tag: InterceptTag;
      try {
        tag = interceptTag(point, spec as { priority?: number; failClosed?: boolean }, name);
      } catch (error) {
        return { ok: false, reason: errorMessage(error) };
      }
      out.push({ ...tag, name, fn: spec.intercept as InterceptorEntry["fn"], thisArg: definition, context });
    }
  }
  return out;
}

/** A plain `{ hooks: { … } }` (or `{ intercepts: { … } }`) object is accepted without definePlugin, so plain JS needs no import at all. */
function isHookTableShape(record: Record<PropertyKey, unknown>): boolean {
  const table = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
  return table(record.hooks) || table(record.intercepts);
}

/** Recognition reads plugin-made objects (getters included): whatever it throws makes the plugin not one, with why. */
function safely(recognise: () => Recognition): Recognition {
  try {
    return recognise();
  } catch (error) {
    return { ok: false, reason: `it could not be read: ${errorMessage(error)}` };
  }
}

function describe(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
