import type { CanonicalOf, HookName } from "./aliases.js";
import { DEFINED_PLUGIN_BRAND } from "./brand.js";
import type { InterceptResult } from "./decisions.js";
import type { CaoEventMap } from "./events.js";
import type { InterceptOptions } from "./intercept.js";
import type { InterceptPoint, InterceptPointMap } from "./points.js";
import type { PluginContext, PluginIsolation } from "./plugin.js";
import type { ConfigOf, StandardSchemaV1 } from "./standard-schema.js";

export type HookFunction<K extends HookName, Config = unknown> = (
  event: CaoEventMap[CanonicalOf<K>],
  context: PluginContext<Config>,
) => unknown;

export type HookTable<Config = unknown> = { [K in HookName]?: HookFunction<K, Config> | HookFunction<K, Config>[] };

export type InterceptFunction<K extends InterceptPoint, Config = unknown> = (
  op: InterceptPointMap[K],
  context: PluginContext<Config>,
) => InterceptResult<K> | PromiseLike<InterceptResult<K>>;

/** An interceptor with options: `{ intercept: fn, priority: 10, failClosed: true }`. */
export interface InterceptSpec<K extends InterceptPoint, Config = unknown> extends InterceptOptions {
  intercept: InterceptFunction<K, Config>;
}

type InterceptEntry<K extends InterceptPoint, Config> = InterceptFunction<K, Config> | InterceptSpec<K, Config>;

export type InterceptTable<Config = unknown> = {
  [K in InterceptPoint]?: InterceptEntry<K, Config> | InterceptEntry<K, Config>[];
};

export interface PluginDefinition<Schema extends StandardSchemaV1 | undefined = undefined> {
  /** Shown in logs when set; the registry still names the plugin by its package or file. */
  name?: string;
  /** "worker" runs the plugin in a worker thread of its own (docs/contract.md#plugin-api); default "inline". */
  isolation?: PluginIsolation;
  /** A Standard Schema (zod 4, valibot, arktype …) for the plugin's `config:` section (docs/contract.md#configyaml). */
  config?: Schema;
  setup?(context: PluginContext<ConfigOf<Schema>>): unknown;
  teardown?(): unknown;
  /** Observers: event type (or its Python CAO name) → handler(s). */
  hooks?: HookTable<ConfigOf<Schema>>;
  /** Interceptors (docs/contract.md#interception-points): interception point → function(s), each optionally with priority / failClosed. */
  intercepts?: InterceptTable<ConfigOf<Schema>>;
}

export interface DefinedPlugin<
  Schema extends StandardSchemaV1 | undefined = undefined,
> extends PluginDefinition<Schema> {
  readonly [DEFINED_PLUGIN_BRAND]: true;
}

/**
 * Class-free plugins, for plain JavaScript: `export default definePlugin({ hooks: { message_sent(e) {…} } })`.
 * Generic only over the config schema, so `context.config` is typed from it; `hooks` and `intercepts` are not
 * generic, so a misspelt event or point key is still an excess-property error in the editor.
 */
export function definePlugin<Schema extends StandardSchemaV1 | undefined = undefined>(
  definition: PluginDefinition<Schema>,
): DefinedPlugin<Schema> {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError(
      "definePlugin expects an object: { setup?, teardown?, config?, hooks?: { event_type: handler }, intercepts?: { point: fn } }",
    );
  }
  const tables = (["hooks", "intercepts"] as const).filter((key) => definition[key] !== undefined);
  for (const key of tables) {
    if (typeof definition[key] !== "object" || definition[key] === null)
      throw new TypeError(`definePlugin: \`${key}\` must be an object`);
  }
  if (tables.length === 0) {
    throw new TypeError(
      "definePlugin needs a `hooks` object mapping event types to handlers, or an `intercepts` object mapping points to interceptors",
    );
  }
  return Object.defineProperty({ ...definition }, DEFINED_PLUGIN_BRAND, { value: true }) as DefinedPlugin<Schema>;
}
