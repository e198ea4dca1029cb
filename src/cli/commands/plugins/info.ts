import { CaoClient, type PluginDetails } from "../../../clients/api-client.js";
import { withPluginErrors } from "./api-errors.js";
import { parsePluginArgs } from "./args.js";

export const infoHelp = `usage: cao plugins info <name> [--json]

One plugin of the running cao-server: its row of "cao plugins list", its config section of config.yaml as
written (before \${VAR}s are replaced), its isolation, and its delivery counts. Exit 1 when no plugin has that name.
`;

export async function infoCommand(argv: string[]): Promise<number> {
  const args = parsePluginArgs(argv, "a plugin name", ["json"]);
  if (args.help) {
    process.stdout.write(infoHelp);
    return 0;
  }
  const name = args.target!;
  const details = await withPluginErrors(name, () => new CaoClient().plugin(name));
  process.stdout.write(args.json ? `${JSON.stringify(details, null, 2)}\n` : describe(details));
  return 0;
}

function describe(p: PluginDetails): string {
  const lines: [string, string][] = [
    ["name", p.name],
    ["status", p.status],
    ["source", p.source + (p.version ? ` ${p.version}` : "")],
    ["path", p.path],
    ["hooks", p.hooks.join(", ") || "-"],
  ];
  if (p.error) lines.push(["error", p.error]);
  if (p.isolation) lines.push(["isolation", p.isolation]);
  if (p.stats)
    lines.push([
      "deliveries",
      Object.entries(p.stats)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ]);
  lines.push([
    "config",
    p.config === undefined || p.config === null ? "(no section in config.yaml)" : JSON.stringify(p.config),
  ]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join("");
}
