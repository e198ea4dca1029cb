import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { CaoClient, type NewSessionParams } from "../../clients/api-client.js";
import { CommandError, UsageError } from "../usage.js";
import { waitForAnswer } from "../wait-for-answer.js";

export const launchHelp = `usage: cao launch --agents <profile> ["<task>"] [options]

Creates a session whose first terminal runs the agent profile, through the running cao-server, then attaches your
terminal to it with tmux (unless --headless). A task, when given, is typed into the agent once it is ready.

  --agents P             agent profile (built-ins: code_supervisor, developer, reviewer; or $CAO_HOME/agent-store/P.md)
  --provider P           mock, claude_code, codex, kiro_cli, q_cli, gemini_cli, qwen_cli, copilot_cli, opencode_cli
                         (default: the profile's provider, else the server's CAO_DEFAULT_PROVIDER, else kiro_cli)
  --session-name N       session name (cao- is prefixed when missing; default random)
  --working-directory D  where the agent starts (default the current directory)
  --headless             do not attach. Without a task: print the terminal as JSON. With a task: wait until the
                         agent has answered and print its answer (unless --async)
  --async                with --headless and a task: return once the task is typed, without waiting
  --timeout S            seconds to wait for the answer with --headless and a task (default 300)
  --allowed-tools T      a tool the agent may use (CAO names: execute_bash, fs_read, fs_write, @cao-mcp-server, …);
                         repeatable. Default: the profile's allowedTools / role
  --yolo                 [DANGEROUS] no tool restrictions at all (allowed tools "*"), no confirmation; warns on stderr
  --auto-approve         skip the confirmation (restrictions still apply)

Without --yolo or --auto-approve, cao launch shows what it is about to start and asks "Proceed?" when stdin is a
terminal; when stdin is not a terminal (scripts, CI) it proceeds without asking.
`;

const DEFAULT_TIMEOUT_S = 300;

export async function launchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      agents: { type: "string" },
      provider: { type: "string" },
      "session-name": { type: "string" },
      "working-directory": { type: "string" },
      headless: { type: "boolean" },
      async: { type: "boolean" },
      timeout: { type: "string" },
      "allowed-tools": { type: "string", multiple: true },
      yolo: { type: "boolean" },
      "auto-approve": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(launchHelp);
    return 0;
  }
  if (!values.agents) throw new UsageError("--agents <profile> is required (e.g. --agents developer)");
  if (positionals.length > 1)
    throw new UsageError(
      `one task at most, quoted as one argument (got ${positionals.length}: ${positionals.join(" ")})`,
    );
  const task = positionals[0];
  if (task !== undefined && task.trim() === "") throw new UsageError("the task must not be empty");
  if (values.yolo && values["allowed-tools"]) throw new UsageError("--yolo and --allowed-tools exclude each other");
  if (values.async && !(values.headless && task !== undefined))
    throw new UsageError("--async only applies to --headless with a task");
  const timeoutSeconds = parseTimeout(values.timeout);
  const allowedTools = values.yolo ? ["*"] : allowedToolsOf(values["allowed-tools"]);
  const directory = values["working-directory"] ?? process.cwd();
  const agents = values.agents;

  if (values.yolo) {
    process.stderr.write(
      `warning: --yolo: agent '${agents}' launches UNRESTRICTED${values.provider ? ` on ${values.provider}` : ""} in ${directory}: it can run any command (aws, rm, curl) and read credentials\n`,
    );
  } else if (!values["auto-approve"] && process.stdin.isTTY) {
    const tools = allowedTools ? allowedTools.join(", ") : "the profile's allowedTools / role";
    process.stderr.write(
      `\nAgent '${agents}' launching${values.provider ? ` on ${values.provider}` : ""}:\n  Allowed:   ${tools}\n  Directory: ${directory}\n\n` +
        "  To skip this prompt next time, relaunch with --auto-approve\n  To remove all restrictions, relaunch with --yolo\n\n",
    );
    if (!(await confirm("Proceed? [Y/n] "))) throw new CommandError("launch cancelled");
  }

  const params: NewSessionParams = {
    agent_profile: agents,
    working_directory: directory,
    ...(values.provider !== undefined ? { provider: values.provider } : {}),
    ...(values["session-name"] ? { session_name: values["session-name"] } : {}),
    ...(allowedTools ? { allowed_tools: allowedTools } : {}),
    ...(task !== undefined ? { initial_message: task } : {}),
  };
  const client = new CaoClient();
  const terminal = await client.createSession(params);
  if (values.headless) {
    if (task === undefined) {
      process.stdout.write(`${JSON.stringify(terminal, null, 2)}\n`);
    } else if (values.async) {
      process.stdout.write(
        `Message sent to ${terminal.name} (terminal ${terminal.id}, session ${terminal.session_name}). Running in background.\n`,
      );
    } else {
      const answer = await waitForAnswer(client, terminal.id, { timeoutSeconds });
      if (answer) process.stdout.write(`${answer}\n`);
    }
    return 0;
  }
  process.stdout.write(`session ${terminal.session_name}, terminal ${terminal.id} (${terminal.name}); attaching…\n`);
  execFileSync("tmux", ["attach-session", "-t", terminal.session_name], { stdio: "inherit" });
  return 0;
}

/** `--allowed-tools` values, each one tool (a comma-separated value is split, as the server splits the query form). */
function allowedToolsOf(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const tools = values.flatMap((value) => value.split(",")).map((tool) => tool.trim());
  if (tools.some((tool) => tool === "")) throw new UsageError("--allowed-tools needs a tool name (got an empty one)");
  return tools;
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_S;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--timeout must be a positive number of seconds (got ${raw})`);
  return value;
}

/**
 * Asks on the terminal; an empty answer is yes, as the Python CAO's default. readline is imported here, only when a
 * prompt is shown, so scripted launches do not pay for it at start-up (bench/cli-startup.mjs).
 */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await prompt.question(question)).trim().toLowerCase();
    return answer === "" || answer === "y" || answer === "yes";
  } finally {
    prompt.close();
  }
}
