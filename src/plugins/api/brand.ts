/**
 * Registry-wide symbols. `Symbol.for` keys make recognition independent of module identity: a plugin package
 * that bundles its own copy of this package brands its classes with the very same symbols.
 */
export const PLUGIN_BRAND: unique symbol = Symbol.for("cli-agent-orchestrator.plugin") as never;
export const DEFINED_PLUGIN_BRAND: unique symbol = Symbol.for("cli-agent-orchestrator.defined-plugin") as never;
/** Event types a method subscribes to, stored on the function object itself by `@hook`. */
export const HOOKS_KEY: unique symbol = Symbol.for("cli-agent-orchestrator.hooks") as never;
/** Hooks registered per instance, for TC39-decorated private methods that no prototype walk can see. */
export const INSTANCE_HOOKS_KEY: unique symbol = Symbol.for("cli-agent-orchestrator.instance-hooks") as never;
/** Interception points a method serves, stored on the function object itself by `@intercept`. */
export const INTERCEPTS_KEY: unique symbol = Symbol.for("cli-agent-orchestrator.intercepts") as never;
/** Interceptors registered per instance (TC39-decorated private methods). */
export const INSTANCE_INTERCEPTS_KEY: unique symbol = Symbol.for("cli-agent-orchestrator.instance-intercepts") as never;
