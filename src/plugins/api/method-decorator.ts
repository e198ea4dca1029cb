/**
 * The machinery `@hook` and `@intercept` share: one function that works as a TC39 (standard) method decorator and as a
 * legacy (experimentalDecorators / Babel) one, and hands the decorated function to `tag` (public methods, found later
 * by a prototype walk) or, for TC39 private methods that no prototype walk can see, to `tagInstance` as each instance
 * is built.
 */
export type Tagger = (fn: (...args: unknown[]) => unknown) => void;
export type InstanceTagger = (instance: object, name: string, fn: (...args: unknown[]) => unknown) => void;

export function methodDecorator(label: string, tag: Tagger, tagInstance: InstanceTagger) {
  return function decorate(
    target: unknown,
    context: unknown,
    descriptor?: PropertyDescriptor,
  ): PropertyDescriptor | void {
    if (isStandardContext(context)) {
      if (context.kind !== "method") throw new TypeError(`${label} decorates methods, not a ${context.kind}`);
      const method = target as (...args: unknown[]) => unknown;
      if (context.private) {
        context.addInitializer(function (this: unknown) {
          tagInstance(this as object, String(context.name), method);
        });
        return;
      }
      tag(method);
      return;
    }
    // Legacy decorators: (prototype, key, descriptor). jiti's Babel transform, when reflect-metadata is not loaded,
    // runs a `design:type` fallback `(t) => t` first, which hands us the prototype in place of the descriptor and
    // would then define the method from it (erasing it). So read the real descriptor and return it.
    const real = isDescriptor(descriptor, target)
      ? descriptor
      : Object.getOwnPropertyDescriptor(target as object, context as PropertyKey);
    if (!real || typeof real.value !== "function") throw new TypeError(`${label} decorates methods`);
    tag(real.value as (...args: unknown[]) => unknown);
    return real;
  };
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

/** Appends `item` to the list stored under `key` on `holder` (its own, non-enumerable), creating it. */
export function ownList<T>(holder: object, key: symbol): T[] {
  const record = holder as Record<symbol, T[] | undefined>;
  if (!Object.prototype.hasOwnProperty.call(record, key))
    Object.defineProperty(record, key, { value: [], configurable: true });
  return record[key]!;
}
