import { DEFINED_PLUGIN_BRAND } from "./brand.js";
import type { PluginContext } from "./plugin.js";
import type { CaoEventMap, CaoEventType } from "./events.js";
import type { ConfigOf, StandardSchemaV1 } from "./standard-schema.js";

export type HookFunction<K extends CaoEventType, Config = unknown> = (event: CaoEventMap[K], context: PluginContext<Config>) => unknown;

export type HookTable<Config = unknown> = { [K in CaoEventType]?: HookFunction<K, Config> | HookFunction<K, Config>[] };

export interface PluginDefinition<Schema extends StandardSchemaV1 | undefined = undefined> {
  /** Shown in logs when set; the registry still names the plugin by its package or file. */
  name?: string;
  /** A Standard Schema (zod 4, valibot, arktype …) for the plugin's `config:` section (DESIGN §13). */
  config?: Schema;
  setup?(context: PluginContext<ConfigOf<Schema>>): unknown;
  teardown?(): unknown;
  hooks: HookTable<ConfigOf<Schema>>;
}

export interface DefinedPlugin<Schema extends StandardSchemaV1 | undefined = undefined> extends PluginDefinition<Schema> {
  readonly [DEFINED_PLUGIN_BRAND]: true;
}

/**
 * Class-free plugins, for plain JavaScript: `export default definePlugin({ hooks: { message_sent(e) {…} } })`.
 * Generic only over the config schema, so `context.config` is typed from it; `hooks` is not generic, so a misspelt
 * event key is still an excess-property error in the editor.
 */
export function definePlugin<Schema extends StandardSchemaV1 | undefined = undefined>(definition: PluginDefinition<Schema>): DefinedPlugin<Schema> {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError("definePlugin expects an object: { setup?, teardown?, config?, hooks: { event_type: handler } }");
  }
  if (typeof definition.hooks !== "object" || definition.hooks === null) {
    throw new TypeError("definePlugin needs a `hooks` object mapping event types to handler functions");
  }
  return Object.defineProperty({ ...definition }, DEFINED_PLUGIN_BRAND, { value: true }) as DefinedPlugin<Schema>;
}
