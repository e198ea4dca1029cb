import { UsageError } from "../../usage.js";

export const pluginsHelp = `usage: cao plugins <command> [options]

  list [--json]              the running server's plugins: name, source, version, status, isolation, hooks, error
  info <name> [--json]       one plugin: its row, its config section as written, isolation, delivery counts
  enable <name>              load it and write "enabled: true" into config.yaml
  disable <name>             tear it down, stop delivering to it, write "enabled: false"
  reload <name>              re-import it and swap it in (drop-ins and npm plugins alike)
  new <name> [--js]          scaffold $CAO_PLUGINS_DIR/<name>.ts (or .js) that hooks every event, with editor types
  install <npm-spec>         npm install into $CAO_HOME, then the running server loads it
  uninstall <name>           npm uninstall from $CAO_HOME, then the running server unloads it

Run "cao plugins <command> --help" for one command. list, info, enable, disable and reload talk to the running
cao-server (CAO_API_HOST / CAO_API_PORT); new works without one; install and uninstall work without one (the
plugin then loads or goes at the next start).
`;

type Subcommand = (argv: string[]) => Promise<number>;

/** Each subcommand's module is imported when it runs (see main.ts: start-up time). */
const subcommands: Record<string, Subcommand> = {
  list: async (argv) => (await import("./list.js")).listCommand(argv),
  info: async (argv) => (await import("./info.js")).infoCommand(argv),
  enable: async (argv) => (await import("./change.js")).changeCommand("enable", argv),
  disable: async (argv) => (await import("./change.js")).changeCommand("disable", argv),
  reload: async (argv) => (await import("./change.js")).changeCommand("reload", argv),
  new: async (argv) => (await import("./new.js")).newCommand(argv),
  install: async (argv) => (await import("./install.js")).installCommand(argv),
  uninstall: async (argv) => (await import("./install.js")).uninstallCommand(argv),
};

export async function pluginsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    process.stdout.write(pluginsHelp);
    return sub === undefined ? 2 : 0;
  }
  const run = subcommands[sub];
  if (!run) throw new UsageError(`unknown plugins command "${sub}" (one of: ${Object.keys(subcommands).join(", ")})`);
  return run(rest);
}
