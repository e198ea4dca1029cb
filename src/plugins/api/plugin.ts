import { HOOKS_KEY, INSTANCE_HOOKS_KEY, PLUGIN_BRAND } from "./brand.js";
import type { CaoEventMap, CaoEventType } from "./events.js";

/** The logging surface a plugin receives: a pino child logger named after the plugin. */
export interface PluginLogger {
  trace(obj: unknown, msg?: string, ...args: unknown[]): void;
  debug(obj: unknown, msg?: string, ...args: unknown[]): void;
  info(obj: unknown, msg?: string, ...args: unknown[]): void;
  warn(obj: unknown, msg?: string, ...args: unknown[]): void;
  error(obj: unknown, msg?: string, ...args: unknown[]): void;
}

/** What the registry hands to `setup()` (and to definePlugin hooks as their second argument). */
export interface PluginContext {
  /** The plugin's name: its npm package name or its drop-in file/folder name. */
  readonly name: string;
  readonly logger: PluginLogger;
  /** `CAO_HOME` (default `~/.cao`): where a plugin may keep files of its own. */
  readonly caoHome: string;
  /** The environment the registry was given (process.env by default). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const silent: PluginLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Base class of class-style plugins. Subclass it, give methods `@hook("event_type")`, and optionally
 * implement `setup()` and `teardown()`. The registry instantiates each plugin once.
 */
export class CaoPlugin {
  static {
    // The brand sits on the prototype so that subclasses and instances carry it; never enumerable.
    Object.defineProperty(CaoPlugin.prototype, PLUGIN_BRAND, { value: true });
  }

  /** Replaced by the registry before `setup()` with a logger named after the plugin. */
  logger: PluginLogger = silent;

  async setup(_context: PluginContext): Promise<void> {}

  async teardown(): Promise<void> {}
}

type Handler<K extends CaoEventType> = (event: CaoEventMap[K]) => unknown;

/** `@hook` works as a TC39 (standard) decorator and as a legacy (experimentalDecorators / Babel) decorator. */
export interface HookDecorator<K extends CaoEventType> {
  <This, F extends (this: This, event: CaoEventMap[K]) => unknown>(
    value: F,
    context: ClassMethodDecoratorContext<This, F>,
  ): void;
  <F extends Handler<K>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<F>): void;
}

/**
 * Registers the decorated async method as a handler of `eventType`. Stack several on one method to handle
 * several events; put it on several methods to have several handlers of one event.
 */
export function hook<K extends CaoEventType>(eventType: K): HookDecorator<K> {
  if (typeof eventType !== "string" || eventType.length === 0) {
    throw new TypeError(`@hook needs an event type string, got ${String(eventType)}`);
  }
  return function decorate(target: unknown, context: unknown, descriptor?: PropertyDescriptor): PropertyDescriptor | void {
    if (isStandardContext(context)) {
      if (context.kind !== "method") throw new TypeError(`@hook("${eventType}") decorates methods, not a ${context.kind}`);
      if (context.private) {
        // A private method is invisible to the prototype walk; record it on each instance as it is built.
        const method = target as (...args: unknown[]) => unknown;
        context.addInitializer(function (this: unknown) {
          addInstanceHook(this as object, eventType, String(context.name), method);
        });
        return;
      }
      tagFunction(target, eventType);
      return;
    }
    // Legacy decorators: (prototype, key, descriptor). jiti's Babel transform, when reflect-metadata is not loaded,
    // runs a `design:type` fallback `(t) => t` first, which hands us the prototype in place of the descriptor and
    // would then define the method from it (erasing it). So read the real descriptor and return it.
    const real = isDescriptor(descriptor, target) ? descriptor : Object.getOwnPropertyDescriptor(target as object, context as PropertyKey);
    if (!real || typeof real.value !== "function") throw new TypeError(`@hook("${eventType}") decorates methods`);
    tagFunction(real.value, eventType);
    return real;
  } as HookDecorator<K>;
}

interface StandardContext {
  kind: string;
  private?: boolean;
  name: string | symbol;
  addInitializer(fn: (this: unknown) => void): void;
}

function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === "object" && value !== null && "kind" in value && "addInitializer" in value;
}

function isDescriptor(value: unknown, target: unknown): value is PropertyDescriptor {
  return typeof value === "object" && value !== null && value !== target && ("value" in value || "get" in value);
}

function tagFunction(fn: unknown, eventType: string): void {
  const tagged = fn as { [HOOKS_KEY]?: string[] };
  // Decorators apply bottom-up; unshift keeps the listed order of stacked @hook lines.
  const list = Object.prototype.hasOwnProperty.call(tagged, HOOKS_KEY) ? tagged[HOOKS_KEY]! : [];
  if (!list.includes(eventType)) list.unshift(eventType);
  Object.defineProperty(tagged, HOOKS_KEY, { value: list, configurable: true });
}

export interface InstanceHook {
  eventType: string;
  name: string;
  fn: (...args: unknown[]) => unknown;
}

function addInstanceHook(instance: object, eventType: string, name: string, fn: InstanceHook["fn"]): void {
  const holder = instance as { [INSTANCE_HOOKS_KEY]?: InstanceHook[] };
  if (!Object.prototype.hasOwnProperty.call(holder, INSTANCE_HOOKS_KEY)) {
    Object.defineProperty(holder, INSTANCE_HOOKS_KEY, { value: [] });
  }
  holder[INSTANCE_HOOKS_KEY]!.push({ eventType, name, fn });
}
