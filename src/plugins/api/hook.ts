import { canonicalEventType, type CanonicalOf, type HookName } from "./aliases.js";
import { HOOKS_KEY, INSTANCE_HOOKS_KEY } from "./brand.js";
import type { CaoEventMap } from "./events.js";
import { methodDecorator, ownList } from "./method-decorator.js";

type Handler<E> = (event: E) => unknown;

/** `@hook` works as a TC39 (standard) decorator and as a legacy (experimentalDecorators / Babel) decorator. */
export interface HookDecorator<K extends HookName> {
  <This, F extends (this: This, event: CaoEventMap[CanonicalOf<K>]) => unknown>(
    value: F,
    context: ClassMethodDecoratorContext<This, F>,
  ): void;
  <F extends Handler<CaoEventMap[CanonicalOf<K>]>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void;
}

/**
 * Registers the decorated async method as a handler of `eventType` (or of the event a Python CAO name such as
 * `post_send_message` stands for). Stack several on one method to handle several events; put it on several methods
 * to have several handlers of one event.
 */
export function hook<K extends HookName>(eventType: K): HookDecorator<K> {
  if (typeof eventType !== "string" || eventType.length === 0) {
    throw new TypeError(`@hook needs an event type string, got ${String(eventType)}`);
  }
  const type = canonicalEventType(eventType);
  return methodDecorator(
    `@hook("${eventType}")`,
    (fn) => {
      // Decorators apply bottom-up; unshift keeps the listed order of stacked @hook lines.
      const list = ownList<string>(fn, HOOKS_KEY);
      if (!list.includes(type)) list.unshift(type);
    },
    (instance, name, fn) => ownList<InstanceHook>(instance, INSTANCE_HOOKS_KEY).push({ eventType: type, name, fn }),
  ) as HookDecorator<K>;
}

export interface InstanceHook {
  eventType: string;
  name: string;
  fn: (...args: unknown[]) => unknown;
}
