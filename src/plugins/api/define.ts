import { DEFINED_PLUGIN_BRAND } from "./brand.js";
import type { PluginContext, PluginIsolation } from "./plugin.js";
import type { CaoEventMap, CaoEventType } from "./events.js";

export type HookFunction<K extends CaoEventType> = (event: CaoEventMap[K], context: PluginContext) => unknown;

export type HookTable = { [K in CaoEventType]?: HookFunction<K> | HookFunction<K>[] };

export interface PluginDefinition {
  /** Shown in logs when set; the registry still names the plugin by its package or file. */
  name?: string;
  /** "worker" runs the plugin in a worker thread of its own (DESIGN §14); default "inline". */
  isolation?: PluginIsolation;
  setup?(context: PluginContext): unknown;
  teardown?(): unknown;
  hooks: HookTable;
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
    throw new TypeError("definePlugin expects an object: { setup?, teardown?, hooks: { event_type: handler } }");
  }
  if (typeof definition.hooks !== "object" || definition.hooks === null) {
    throw new TypeError("definePlugin needs a `hooks` object mapping event types to handler functions");
  }
  return Object.defineProperty({ ...definition }, DEFINED_PLUGIN_BRAND, { value: true }) as DefinedPlugin;
}
