import { errorMessage } from "../../../util/errors.js";
import { DEFINED_PLUGIN_BRAND, HOOKS_KEY, INSTANCE_HOOKS_KEY, PLUGIN_BRAND } from "../../api/brand.js";
import type { InstanceHook } from "../../api/hook.js";
import type { PluginContext, PluginLogger } from "../../api/plugin.js";

/** One handler, ready to call as `fn.call(thisArg, event, context)`. */
export interface HandlerEntry {
  readonly eventType: string;
  /** Method name (class plugins) or `hooks.<event>[i]` (definePlugin), for log lines. */
  readonly name: string;
  readonly fn: (this: unknown, event: unknown, context: PluginContext) => unknown;
  readonly thisArg: unknown;
  readonly context: PluginContext;
}

/** A plugin reduced to what the registry needs, whatever style it was written in. */
export interface PluginInstance {
  readonly style: "class" | "instance" | "definePlugin";
  readonly handlers: readonly HandlerEntry[];
  /** `static configSchema` of a class plugin, `config` of a definePlugin object (DESIGN §13); undefined if none. */
  readonly configSchema: unknown;
  /** Hands the validated config to the plugin (`this.config` of a class plugin); called before setup(). */
  configure(config: unknown): void;
  setup(): unknown;
  teardown(): unknown;
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
    return { ok: true, plugin: fromInstance(instance, "class", context) };
  }
  if (typeof candidate === "object" && candidate !== null) {
    const record = candidate as Record<PropertyKey, unknown>;
    if (record[PLUGIN_BRAND] === true) return { ok: true, plugin: fromInstance(record, "instance", context) };
    if (record[DEFINED_PLUGIN_BRAND] === true || isHookTableShape(record)) return fromDefinition(record, context);
  }
  return {
    ok: false,
    reason: `its export is not a plugin (${describe(candidate)}); export a CaoPlugin subclass, instance or definePlugin({ hooks })`,
  };
}

function pickExport(moduleExports: unknown): unknown {
  if (moduleExports === null || moduleExports === undefined) return undefined;
  if (typeof moduleExports === "function") return moduleExports; // module.exports = class … (CommonJS)
  const mod = moduleExports as Record<PropertyKey, unknown>;
  if (mod[PLUGIN_BRAND] === true || mod[DEFINED_PLUGIN_BRAND] === true) return mod; // module.exports = plugin
  let picked = mod.default ?? mod.plugin;
  // ESM compiled to CommonJS and imported again wraps once more: { default: { default: X } }.
  const inner = picked as Record<PropertyKey, unknown> | undefined;
  if (inner && typeof inner === "object" && "default" in inner && inner[PLUGIN_BRAND] !== true && !("hooks" in inner)) {
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
  const seen = new Set<PropertyKey>(["constructor"]);
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (seen.has(key)) continue; // an override in a subclass hides (and may un-hook) the base method
      seen.add(key);
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as { [HOOKS_KEY]?: string[] } | undefined;
      const events = typeof value === "function" && Object.prototype.hasOwnProperty.call(value, HOOKS_KEY) ? value[HOOKS_KEY]! : [];
      for (const eventType of events) {
        handlers.push({ eventType, name: String(key), fn: value as HandlerEntry["fn"], thisArg: instance, context });
      }
    }
  }
  const privateHooks = (instance as { [INSTANCE_HOOKS_KEY]?: InstanceHook[] })[INSTANCE_HOOKS_KEY] ?? [];
  for (const h of privateHooks) {
    handlers.push({ eventType: h.eventType, name: h.name, fn: h.fn as HandlerEntry["fn"], thisArg: instance, context });
  }
  target.logger = context.logger;
  const constructor = (instance as { constructor?: { configSchema?: unknown } }).constructor;
  return {
    style,
    handlers,
    configSchema: typeof constructor === "function" ? (constructor as { configSchema?: unknown }).configSchema : undefined,
    configure: (config) => {
      (target as { config?: unknown }).config = config;
    },
    setup: () => target.setup?.(context),
    teardown: () => target.teardown?.(),
  };
}

function fromDefinition(definition: Record<PropertyKey, unknown>, context: PluginContext): Recognition {
  const hooks = definition.hooks as Record<string, unknown>;
  const handlers: HandlerEntry[] = [];
  for (const [eventType, value] of Object.entries(hooks)) {
    const list = Array.isArray(value) ? value : [value];
    for (const [index, fn] of list.entries()) {
      if (typeof fn !== "function") {
        return { ok: false, reason: `hooks.${eventType}${list.length > 1 ? `[${index}]` : ""} is not a function` };
      }
      const name = list.length > 1 ? `hooks.${eventType}[${index}]` : `hooks.${eventType}`;
      handlers.push({ eventType, name, fn: fn as HandlerEntry["fn"], thisArg: definition, context });
    }
  }
  const setup = definition.setup as ((ctx: PluginContext) => unknown) | undefined;
  const teardown = definition.teardown as (() => unknown) | undefined;
  if (setup !== undefined && typeof setup !== "function") return { ok: false, reason: "its `setup` is not a function" };
  if (teardown !== undefined && typeof teardown !== "function") return { ok: false, reason: "its `teardown` is not a function" };
  return {
    ok: true,
    plugin: {
      style: "definePlugin",
      handlers,
      configSchema: definition.config,
      configure: () => undefined, // definePlugin hooks and setup read it from their context
      setup: () => setup?.call(definition, context),
      teardown: () => teardown?.call(definition),
    },
  };
}

/** A plain `{ hooks: { … } }` object is accepted without definePlugin, so plain JS needs no import at all. */
function isHookTableShape(record: Record<PropertyKey, unknown>): boolean {
  return typeof record.hooks === "object" && record.hooks !== null && !Array.isArray(record.hooks);
}

function describe(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
