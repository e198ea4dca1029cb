import fs from "node:fs";
import path from "node:path";
import { DROP_IN_EXTENSIONS } from "../../../plugins/host/discovery/dir.js";
import { pluginsDirFrom } from "../../../util/paths.js";
import { setUpEditorSupport } from "../../scaffold/editor-setup.js";
import { javascriptTemplate, typescriptTemplate } from "../../scaffold/template.js";
import { CommandError, UsageError } from "../../usage.js";
import { parsePluginArgs } from "./args.js";

export const newHelp = `usage: cao plugins new <name> [--js]

Writes $CAO_PLUGINS_DIR/<name>.ts (default ~/.cao/plugins; --js: <name>.js) from a commented template that hooks
every event and shows setup, teardown, a config schema and an interceptor stub; and, beside it, a tsconfig.json and
node_modules/ links to this installation's cli-agent-orchestrator and zod, so that editors complete event names and
fields and "npx tsc --noEmit -p <dir>" type-checks the folder. A running server loads the new file at once.

A name is letters, digits, - and _ (starting with a letter or digit, at most 64). An existing plugin of that name
is never overwritten (exit 1).
`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export async function newCommand(argv: string[]): Promise<number> {
  const args = parsePluginArgs(argv, "a plugin name", ["js"]);
  if (args.help) {
    process.stdout.write(newHelp);
    return 0;
  }
  const name = args.target!;
  if (!NAME.test(name)) {
    throw new UsageError(
      `invalid plugin name ${JSON.stringify(name)}: letters, digits, - and _, starting with a letter or digit, at most 64`,
    );
  }
  const dir = pluginsDirFrom(process.env);
  const existing = existingPlugin(dir, name);
  if (existing) throw new CommandError(`a plugin named ${name} already exists: ${existing} (nothing was written)`);
  const file = path.join(dir, `${name}${args.js ? ".js" : ".ts"}`);
  fs.mkdirSync(dir, { recursive: true });
  // Editor support first: the plugin file is what a running server's watcher reacts to, and it is the one file a
  // failure must not leave half-written (wx: refuses to replace a file that appeared meanwhile).
  const { written } = setUpEditorSupport(dir);
  const source = args.js ? javascriptTemplate(name, dir) : typescriptTemplate(name, dir);
  try {
    fs.writeFileSync(file, source, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new CommandError(`a plugin named ${name} already exists: ${file} (nothing was written)`);
    throw error;
  }
  process.stdout.write(`wrote ${file}\n`);
  for (const extra of written) process.stdout.write(`wrote ${extra}\n`);
  process.stdout.write(
    `\nA running cao-server loads it now (unless started with --no-watch; else at its next start); "cao plugins info ${name}" shows it.\n` +
      `Type-check: npx tsc --noEmit -p ${dir}\n`,
  );
  return 0;
}

/** Any drop-in the server would name `name`: a file with a plugin extension, or a folder. */
function existingPlugin(dir: string, name: string): string | undefined {
  for (const candidate of [...DROP_IN_EXTENSIONS.map((ext) => `${name}${ext}`), name]) {
    const full = path.join(dir, candidate);
    if (fs.existsSync(full)) return full;
  }
  return undefined;
}
