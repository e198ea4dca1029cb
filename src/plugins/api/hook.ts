import { HOOKS_KEY, INSTANCE_HOOKS_KEY } from "./brand.js";
import type { CaoEventMap, CaoEventType } from "./events.js";

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
