import { CaoClient, type PluginAction } from "../../../clients/api-client.js";
import { withPluginErrors } from "./api-errors.js";
import { parsePluginArgs } from "./args.js";

const HELP: Record<PluginAction, string> = {
  enable: `usage: cao plugins enable <name> [--json]

Loads a disabled (or failed) plugin of the running cao-server and writes "enabled: true" into its section of
config.yaml (comments and other keys kept). Exit 1 when no plugin has that name, or when it fails to load (the
reason is printed; "cao plugins list" then shows it failed).
`,
  disable: `usage: cao plugins disable <name> [--json]

Tears a plugin down (after its queued events), stops delivering to it, and writes "enabled: false" into its section
of config.yaml, so it stays off after a restart. Exit 1 when no plugin has that name.
`,
  reload: `usage: cao plugins reload <name> [--json]

Re-imports a plugin from its files and swaps it in (teardown of the old instance, setup of the new); drop-ins and
npm plugins alike. Events emitted meanwhile are delivered to the new instance. Exit 1 when no plugin has that name
or the new version fails to load (the reason is printed).
`,
};

const DONE: Record<PluginAction, string> = { enable: "enabled", disable: "disabled", reload: "reloaded" };

export async function changeCommand(action: PluginAction, argv: string[]): Promise<number> {
  const args = parsePluginArgs(argv, "a plugin name", ["json"]);
  if (args.help) {
    process.stdout.write(HELP[action]);
    return 0;
  }
  const name = args.target!;
  const row = await withPluginErrors(name, () => new CaoClient().changePlugin(name, action));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
  } else {
    process.stdout.write(`${DONE[action]} ${row.name}: ${row.status}${row.error ? ` (${row.error})` : ""}\n`);
  }
  // A reload whose new version failed is answered with the row (failed), not 409: still a failure for the caller.
  return row.status === "failed" ? 1 : 0;
}
