import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { CaoClient } from "../../clients/api-client.js";
import { UsageError } from "../usage.js";

export const launchHelp = `usage: cao launch --agents <profile> [--provider P] [--session-name N] [--working-directory D] [--headless]

Creates a session whose first terminal runs the agent profile, through the running cao-server,
then attaches your terminal to it with tmux (unless --headless).

  --agents P             agent profile (built-ins: code_supervisor, developer, reviewer; or $CAO_HOME/agent-store/P.md)
  --provider P           mock, claude_code, codex, kiro_cli, q_cli, gemini_cli (default claude_code)
  --session-name N       session name (cao- is prefixed when missing; default random)
  --working-directory D  where the agent starts (default the current directory)
  --headless             do not attach; print the terminal as JSON
`;

export async function launchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: "string" },
      provider: { type: "string", default: "claude_code" },
      "session-name": { type: "string" },
      "working-directory": { type: "string" },
      headless: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(launchHelp);
    return 0;
  }
  if (!values.agents) throw new UsageError("--agents <profile> is required (e.g. --agents developer)");
  const client = new CaoClient();
  const terminal = await client.createSession({
    provider: values.provider!,
    agent_profile: values.agents,
    working_directory: values["working-directory"] ?? process.cwd(),
    ...(values["session-name"] ? { session_name: values["session-name"] } : {}),
  });
  if (values.headless) {
    process.stdout.write(`${JSON.stringify(terminal, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`session ${terminal.session_name}, terminal ${terminal.id} (${terminal.name}); attaching…\n`);
  execFileSync("tmux", ["attach-session", "-t", terminal.session_name], { stdio: "inherit" });
  return 0;
}
