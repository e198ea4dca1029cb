import { parseArgs } from "node:util";
import { CaoClient } from "../../clients/api-client.js";
import { UsageError } from "../usage.js";

export const pluginsHelp = `usage: cao plugins list [--json]

Lists the plugins of the running cao-server: name, source (npm or dir), status, isolation
(inline or worker), hooks, and why a failed plugin failed.
`;

export async function pluginsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    process.stdout.write(pluginsHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "list") throw new UsageError(`unknown plugins command "${sub}" (try: cao plugins list)`);
  const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } } });
  const plugins = await new CaoClient().plugins();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
    return 0;
  }
  if (plugins.length === 0) {
    process.stdout.write("no plugins (drop a .ts file into ~/.cao/plugins, or install an npm package tagged cao-plugin)\n");
    return 0;
  }
  const rows = plugins.map((p) => [p.name, p.source, p.version ?? "", p.status, p.isolation, p.hooks.join(",") || "-", p.error ?? p.path]);
  const header = ["NAME", "SOURCE", "VERSION", "STATUS", "ISOLATION", "HOOKS", "PATH / ERROR"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}\n`);
  return 0;
}
