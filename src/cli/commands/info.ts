import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { ApiError, CaoClient, ServerUnreachableError } from "../../clients/api-client.js";
import { CaoPaths } from "../../util/paths.js";
import { SESSION_PREFIX } from "../../util/session-name.js";

export const infoHelp = `usage: cao info

Where CAO keeps its database, and, when run inside a CAO terminal, which session this is and how many terminals it
has (asked of the running cao-server). Prints the same lines as the Python CAO's "cao info".
`;

/**
 * The session this command runs in: CAO_SESSION_NAME when set, else the session of the terminal named by
 * CAO_TERMINAL_ID (every agent's window has it), else the tmux session this shell is in.
 */
async function currentSession(client: CaoClient): Promise<string | undefined> {
  const env = process.env;
  if (env.CAO_SESSION_NAME) return env.CAO_SESSION_NAME;
  if (env.CAO_TERMINAL_ID) {
    try {
      return (await client.getTerminal(env.CAO_TERMINAL_ID)).session_name;
    } catch {
      // fall back to tmux: the server may be gone while the shell lives on
    }
  }
  if (!env.TMUX) return undefined;
  try {
    return execFileSync("tmux", ["display-message", "-p", "#S"], { encoding: "utf8", timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

export async function infoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(infoHelp);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`Database path: ${new CaoPaths(process.env).database}`);
  const client = new CaoClient();
  const session = await currentSession(client);
  if (!session || !session.startsWith(SESSION_PREFIX)) {
    out("Not currently in a CAO session.");
    return 0;
  }
  try {
    const terminals = await client.sessionTerminals(session);
    out(`Session ID: ${session}`);
    out(`Active terminals: ${terminals.length}`);
  } catch (error) {
    if (error instanceof ApiError) out(`Session ID: ${session} (Warning: Session not found in CAO server)`);
    else if (error instanceof ServerUnreachableError)
      out(`Session ID: ${session} (Warning: Could not connect to CAO server)`);
    else throw error;
  }
  return 0;
}
