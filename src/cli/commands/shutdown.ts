import { parseArgs } from "node:util";
import { CaoClient } from "../../clients/api-client.js";
import { normalizeSessionName } from "../../util/session-name.js";
import { UsageError } from "../usage.js";

export const shutdownHelp = `usage: cao shutdown (--all | --session <name>)

Kills CAO sessions through the running cao-server (their terminals with them).
A session is named as at launch: "t1" and "cao-t1" are the same session.
`;

function sessionArgument(name: string): string {
  try {
    return normalizeSessionName(name);
  } catch (error) {
    throw new UsageError(`--session: ${(error as Error).message}`);
  }
}

export async function shutdownCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { all: { type: "boolean" }, session: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(shutdownHelp);
    return 0;
  }
  if (!values.all === !values.session) throw new UsageError("give exactly one of --all or --session <name>");
  const client = new CaoClient();
  const names = values.all ? (await client.listSessions()).map((s) => s.name) : [sessionArgument(values.session!)];
  for (const name of names) {
    await client.deleteSession(name);
    process.stdout.write(`killed ${name}\n`);
  }
  if (names.length === 0) process.stdout.write("no CAO sessions running\n");
  return 0;
}
