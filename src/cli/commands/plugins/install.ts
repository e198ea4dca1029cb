import fs from "node:fs";
import path from "node:path";
import { CaoClient, ServerUnreachableError } from "../../../clients/api-client.js";
import type { PluginRow as PluginInfo } from "../../../contract/api.js";
import { caoHomeFrom } from "../../../util/paths.js";
import { CommandError } from "../../usage.js";
import { parsePluginArgs } from "./args.js";
import { installedDependencies, installedKeywords, runNpm } from "./npm-cli.js";

export const installHelp = `usage: cao plugins install <npm-spec>

Runs "npm install <npm-spec> --prefix $CAO_HOME": anything npm accepts (a registry name or name@range, a local
folder, a tarball, a git URL), with your npm configuration. The package lands in $CAO_HOME/node_modules and is
recorded in $CAO_HOME/package.json. Then the running cao-server discovers it (POST /plugins/rescan) and this prints
whether it loaded; with no server running it loads at the next start. A package without the "cao-plugin" keyword
is installed with a warning: the server does not load it as a plugin.
`;

export const uninstallHelp = `usage: cao plugins uninstall <name>

Runs "npm uninstall <name> --prefix $CAO_HOME" for a package "cao plugins install" put there, then the running
cao-server unloads it (teardown, after its queued events). Exit 1 when $CAO_HOME/package.json does not list it.
`;

const KEYWORD = "cao-plugin";

export async function installCommand(argv: string[]): Promise<number> {
  const args = parsePluginArgs(argv, "an npm package spec (name, name@version, folder or tarball)");
  if (args.help) {
    process.stdout.write(installHelp);
    return 0;
  }
  const home = caoHomeFrom(process.env);
  const before = installedDependencies(home);
  runNpm(home, ["install", localPathToAbsolute(args.target!)]);
  const after = installedDependencies(home);
  const changed = Object.keys(after).filter((name) => after[name] !== before[name]);
  if (changed.length === 0) process.stdout.write(`${args.target} was already installed in ${home}\n`);
  for (const name of changed) {
    process.stdout.write(`installed ${name} into ${path.join(home, "node_modules")}\n`);
    const keywords = installedKeywords(home, name);
    if (keywords && !keywords.includes(KEYWORD)) {
      process.stderr.write(
        `warning: ${name} has no "${KEYWORD}" keyword in its package.json, so cao-server does not load it as a plugin\n`,
      );
    }
  }
  const rows = await rescan();
  if (!rows) return 0;
  let failed = false;
  for (const name of changed) {
    const row = rows.find((r) => r.name === name);
    if (!row) continue;
    process.stdout.write(`cao-server: ${name} ${row.status}${row.error ? `: ${row.error}` : ""}\n`);
    failed ||= row.status === "failed";
  }
  return failed ? 1 : 0;
}

export async function uninstallCommand(argv: string[]): Promise<number> {
  const args = parsePluginArgs(argv, "a package name");
  if (args.help) {
    process.stdout.write(uninstallHelp);
    return 0;
  }
  const name = args.target!;
  const home = caoHomeFrom(process.env);
  if (!(name in installedDependencies(home))) {
    throw new CommandError(
      `${name} is not installed in ${home} (${path.join(home, "package.json")} does not list it; "cao plugins list" shows where a plugin comes from)`,
    );
  }
  runNpm(home, ["uninstall", name]);
  process.stdout.write(`uninstalled ${name} from ${path.join(home, "node_modules")}\n`);
  const rows = await rescan();
  if (rows)
    process.stdout.write(
      rows.some((r) => r.name === name)
        ? `cao-server still lists ${name} (another copy of it is installed elsewhere)\n`
        : `cao-server: ${name} unloaded\n`,
    );
  return 0;
}

/** Asks the running server to discover again; undefined (after saying so) when none runs. */
async function rescan(): Promise<PluginInfo[] | undefined> {
  try {
    return await new CaoClient().rescanPlugins();
  } catch (error) {
    if (!(error instanceof ServerUnreachableError)) throw error;
    process.stdout.write(`cao-server is not running; the change takes effect at its next start\n`);
    return undefined;
  }
}

/**
 * npm resolves a relative folder or tarball against the prefix ($CAO_HOME), not against where the user typed it;
 * so a spec naming something that exists here is made absolute. Anything else (names, ranges, URLs) is npm's.
 */
function localPathToAbsolute(spec: string): string {
  if (spec.startsWith("file:") || !/^[./~]|[\\/]|\.tgz$|\.tar\.gz$/.test(spec)) return spec;
  const full = path.resolve(spec);
  return fs.existsSync(full) ? full : spec;
}
