import { parseArgs } from "node:util";
import { UsageError } from "../../usage.js";

export interface Parsed {
  /** The one positional argument (a plugin name or npm spec); undefined when --help was asked. */
  target: string | undefined;
  json: boolean;
  js: boolean;
  help: boolean;
}

/**
 * The arguments of a `cao plugins <sub>`: one positional and the flags that sub accepts. `what` names the positional
 * in the error when it is missing.
 */
export function parsePluginArgs(argv: string[], what: string, flags: ("json" | "js")[] = []): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      ...Object.fromEntries(flags.map((flag) => [flag, { type: "boolean" as const }])),
    },
  });
  const flag = (name: string) => (values as Record<string, boolean | undefined>)[name] === true;
  if (flag("help")) return { target: undefined, json: false, js: false, help: true };
  if (positionals.length === 0) throw new UsageError(`${what} is required`);
  if (positionals.length > 1) throw new UsageError(`one ${what} at a time (got ${positionals.join(" ")})`);
  return { target: positionals[0], json: flag("json"), js: flag("js"), help: false };
}
