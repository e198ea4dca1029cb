import { parseArgs } from "node:util";
import { CaoClient } from "../../../clients/api-client.js";

export const listHelp = `usage: cao plugins list [--json]

Lists the plugins of the running cao-server: name, source (npm or dir), version, status (active, failed,
disabled), isolation (inline or worker), the events it hooks, and its path or why it failed.
`;

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(listHelp);
    return 0;
  }
  const plugins = await new CaoClient().plugins();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
    return 0;
  }
  if (plugins.length === 0) {
    process.stdout.write(
      "no plugins (cao plugins new <name> writes one into ~/.cao/plugins; cao plugins install <package> adds one from npm)\n",
    );
    return 0;
  }
  const rows = plugins.map((p) => [
    p.name,
    p.source,
    p.version ?? "",
    p.status,
    p.isolation,
    p.hooks.join(",") || "-",
    p.error ?? p.path,
  ]);
  const header = ["NAME", "SOURCE", "VERSION", "STATUS", "ISOLATION", "HOOKS", "PATH / ERROR"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}\n`);
  return 0;
}
