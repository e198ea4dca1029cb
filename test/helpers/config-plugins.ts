/**
 * The drop-ins of the DESIGN §13 tests, from test/fixtures/plugins: each appends what happened to it, with the config
 * it was given, to `<CAO_HOME>/out/<its name>.jsonl`, which ConfigServer.record() reads. RAW_PLUGIN and VALIBOT_PLUGIN
 * are plain JavaScript, for .js drop-ins.
 */
import { pluginFixture, pluginFixtureAsJs } from "./plugin-fixtures.js";

/** No schema: the raw config (interpolated) reaches the plugin. */
export const RAW_PLUGIN = pluginFixtureAsJs("config-recorder.ts");
/** A class plugin with a hand-written Standard Schema: { url, retries (default 3) }. */
export const HAND_PLUGIN = pluginFixture("hand-schema.ts");
/** A class plugin with a zod 4 schema: { url, events (default ["message_sent"]) }. */
export const ZOD_PLUGIN = pluginFixture("zod-schema.ts");
/** A definePlugin plugin with a valibot schema: { url, port (default 8080) }. */
export const VALIBOT_PLUGIN = pluginFixtureAsJs("valibot-schema.ts");

/** The packages the schema fixtures import, linked into a server's `<CAO_HOME>/node_modules` (see config-server.ts). */
export const FIXTURE_DEPENDENCIES = ["zod", "valibot"];
