import { INSTANCE_INTERCEPTS_KEY, INTERCEPTS_KEY } from "./brand.js";
import type { InterceptResult } from "./decisions.js";
import { methodDecorator, ownList } from "./method-decorator.js";
import { isInterceptPoint, INTERCEPT_POINTS, type InterceptPoint, type InterceptPointMap } from "./points.js";

export interface InterceptOptions {
  /** Higher runs first (default 0); equal priorities run by plugin name. */
  priority?: number;
  /** A throw, timeout or invalid return value of this interceptor counts as deny instead of allow (default false). */
  failClosed?: boolean;
}

/** One `@intercept` on a method, as stored on the function (public methods) or the instance (private ones). */
export interface InterceptTag {
  point: InterceptPoint;
  priority: number;
  failClosed: boolean;
}

export interface InstanceIntercept extends InterceptTag {
  name: string;
  fn: (...args: unknown[]) => unknown;
}

type Awaitable<T> = T | PromiseLike<T>;

/** `@intercept` works as a TC39 (standard) decorator and as a legacy (experimentalDecorators / Babel) decorator. */
export interface InterceptDecorator<K extends InterceptPoint> {
  <This, F extends (this: This, op: InterceptPointMap[K]) => Awaitable<InterceptResult<K>>>(
    value: F,
    context: ClassMethodDecoratorContext<This, F>,
  ): void;
  <F extends (op: InterceptPointMap[K]) => Awaitable<InterceptResult<K>>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void;
}

/**
 * Makes the decorated method an interceptor of `point` (docs/contract.md#interception-points): awaited before the operation, it returns
 * `deny(reason)`, `modify(patch)`, `allow()` or nothing.
 */
export function intercept<K extends InterceptPoint>(point: K, options: InterceptOptions = {}): InterceptDecorator<K> {
  const tag = interceptTag(point, options, "@intercept");
  return methodDecorator(
    `@intercept("${point}")`,
    (fn) => ownList<InterceptTag>(fn, INTERCEPTS_KEY).unshift(tag),
    (instance, name, fn) => ownList<InstanceIntercept>(instance, INSTANCE_INTERCEPTS_KEY).push({ ...tag, name, fn }),
  ) as InterceptDecorator<K>;
}

/** Validates a point and its options (a clear error at decoration or definition time, not at the first call). */
export function interceptTag(point: unknown, options: InterceptOptions | undefined, where: string): InterceptTag {
  if (!isInterceptPoint(point))
    throw new TypeError(
      `${where}: unknown interception point ${JSON.stringify(point)} (known: ${INTERCEPT_POINTS.join(", ")})`,
    );
  const { priority = 0, failClosed = false } = options ?? {};
  if (typeof priority !== "number" || !Number.isFinite(priority))
    throw new TypeError(`${where}("${point}"): priority must be a finite number`);
  if (typeof failClosed !== "boolean") throw new TypeError(`${where}("${point}"): failClosed must be true or false`);
  return { point, priority, failClosed };
}
