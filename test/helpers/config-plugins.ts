/**
 * Drop-ins for the DESIGN §13 tests (config-server.ts): each appends what happened to it, with the config it was
 * given, to `<CAO_HOME>/out/<name>.jsonl`, so the tests read the plugin's own account of its config.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// Drop-ins live in a temp CAO_HOME, where bare "zod" / "valibot" do not resolve: they import this checkout's copies by path.
const ZOD = require.resolve("zod");
const VALIBOT = require.resolve("valibot");

/** Appends what happened to `<CAO_HOME>/out/<name>.jsonl`: the tests read the plugin's own account of its config. */
const RECORDER = `
import fs from "node:fs";
import path from "node:path";
function record(home, name, entry) {
  fs.mkdirSync(path.join(home, "out"), { recursive: true });
  fs.appendFileSync(path.join(home, "out", name + ".jsonl"), JSON.stringify(entry) + "\\n");
}
`;

/** A class plugin with `static configSchema` (the schema's source given), recording `this.config` at setup. */
export function classPlugin(name: string, imports: string, schema: string): string {
  return `${RECORDER}
import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
${imports}
const Settings = ${schema};
export default class P extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  home = "";
  async setup(context) { this.home = context.caoHome; record(context.caoHome, "${name}", { at: "setup", config: this.config, same: context.config === this.config }); }
  async teardown() { record(this.home, "${name}", { at: "teardown" }); }
  @hook("message_sent") async seen() {}
}
`;
}

/** A hand-written Standard Schema: { url: string (required), retries: integer ≥ 0 (default 3) }. */
export const HAND_WRITTEN = `{
  "~standard": {
    version: 1,
    vendor: "hand",
    validate(value) {
      if (typeof value !== "object" || value === null) return { issues: [{ message: "expected a mapping", path: [] }] };
      const issues = [];
      if (typeof value.url !== "string") issues.push({ message: "expected a string", path: ["url"] });
      const retries = value.retries ?? 3;
      if (!Number.isInteger(retries) || retries < 0) issues.push({ message: "expected an integer >= 0", path: [{ key: "retries" }] });
      return issues.length ? { issues } : { value: { url: value.url, retries } };
    },
  },
}`;

export const ZOD_PLUGIN = (name: string) =>
  classPlugin(name, `import { z } from ${JSON.stringify(ZOD)};`, `z.object({ url: z.string().url(), events: z.array(z.enum(["message_sent", "session_created"])).default(["message_sent"]) })`);

export const VALIBOT_PLUGIN = (name: string) => `${RECORDER}
import { definePlugin } from "cli-agent-orchestrator/plugins";
import * as v from ${JSON.stringify(VALIBOT)};
export default definePlugin({
  config: v.object({ url: v.pipe(v.string(), v.url()), port: v.optional(v.number(), 8080) }),
  setup(context) { record(context.caoHome, "${name}", { at: "setup", config: context.config }); this.home = context.caoHome; },
  teardown() { record(this.home, "${name}", { at: "teardown" }); },
  hooks: { message_sent() {} },
});
`;

/** No schema: the raw config (interpolated) reaches the plugin. */
export const RAW_PLUGIN = (name: string) => `${RECORDER}
import { definePlugin } from "cli-agent-orchestrator/plugins";
export default definePlugin({
  setup(context) { record(context.caoHome, "${name}", { at: "setup", config: context.config ?? null }); this.home = context.caoHome; },
  teardown() { record(this.home, "${name}", { at: "teardown" }); },
  hooks: { message_sent() {} },
});
`;
