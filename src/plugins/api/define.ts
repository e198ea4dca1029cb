import type { CanonicalOf, HookName } from "./aliases.js";
import { DEFINED_PLUGIN_BRAND } from "./brand.js";
import type { InterceptResult } from "./decisions.js";
import type { CaoEventMap } from "./events.js";
import type { InterceptOptions } from "./intercept.js";
import type { InterceptPoint, InterceptPointMap } from "./points.js";
import type { PluginContext } from "./plugin.js";

export type HookFunction<K extends HookName> = (event: CaoEventMap[CanonicalOf<K>], context: PluginContext) => unknown;

export type HookTable = { [K in HookName]?: HookFunction<K> | HookFunction<K>[] };

export type InterceptFunction<K extends InterceptPoint> = (
  op: InterceptPointMap[K],
  context: PluginContext,
) => InterceptResult<K> | PromiseLike<InterceptResult<K>>;

/** An interceptor with options: `{ intercept: fn, priority: 10, failClosed: true }`. */
export interface InterceptSpec<K extends InterceptPoint> extends InterceptOptions {
  intercept: InterceptFunction<K>;
}

type InterceptEntry<K extends InterceptPoint> = InterceptFunction<K> | InterceptSpec<K>;

export type InterceptTable = { [K in InterceptPoint]?: InterceptEntry<K> | InterceptEntry<K>[] };

export interface PluginDefinition {
  /** Shown in logs when set; the registry still names the plugin by its package or file. */
  name?: string;
  setup?(context: PluginContext): unknown;
  teardown?(): unknown;
  /** Observers: event type → handler(s). */
  hooks?: HookTable;
  /** Interceptors (DESIGN §11): interception point → function(s), each optionally with priority / failClosed. */
  intercepts?: InterceptTable;
}

export interface DefinedPlugin extends PluginDefinition {
  readonly [DEFINED_PLUGIN_BRAND]: true;
}

/**
 * Class-free plugins, for plain JavaScript: `export default definePlugin({ hooks: { message_sent(e) {…} } })`.
 * Not generic on purpose: a misspelt event key in `hooks` is then an excess-property error in the editor.
 */
export function definePlugin(definition: PluginDefinition): DefinedPlugin {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError("definePlugin expects an object: { setup?, teardown?, hooks?: { event_type: handler }, intercepts?: { point: fn } }");
  }
  const tables = (["hooks", "intercepts"] as const).filter((key) => definition[key] !== undefined);
  for (const key of tables) {
    if (typeof definition[key] !== "object" || definition[key] === null) throw new TypeError(`definePlugin: \`${key}\` must be an object`);
  }
  if (tables.length === 0) {
    throw new TypeError("definePlugin needs a `hooks` object mapping event types to handlers, or an `intercepts` object mapping points to interceptors");
  }
  return Object.defineProperty({ ...definition }, DEFINED_PLUGIN_BRAND, { value: true }) as DefinedPlugin;
}
