import { parseArgs } from "node:util";
import { ApiError, CaoClient, type Terminal } from "../../clients/api-client.js";
import { CommandError, UsageError } from "../usage.js";
import { waitForAnswer } from "../wait-for-answer.js";

export const sessionHelp = `usage: cao session list|status|send [options]

Sessions of the running cao-server, as the Python CAO's "cao session" shows them. A session's conductor is its first
terminal.

  cao session list [--json]
      every session with its conductor's id and status and its number of terminals
  cao session status <session> [--terminal ID] [--workers] [--json]
      the conductor (or terminal ID): agent, provider, status and its last answer (20 lines);
      --workers also lists the session's other terminals
  cao session send <session> "<message>" [--terminal ID] [--async] [--timeout S]
      types the message into the conductor (or terminal ID), which must be idle or completed, waits until it has
      answered (default 300 s) and prints the answer; --async returns once the message is typed
`;

const DEFAULT_SEND_TIMEOUT_S = 300;
const STATUS_ANSWER_LINES = 20;

export async function sessionCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    process.stdout.write(sessionHelp);
    return sub === undefined ? 2 : 0;
  }
  const client = new CaoClient();
  switch (sub) {
    case "list":
      return list(client, rest);
    case "status":
      return status(client, rest);
    case "send":
      return send(client, rest);
    default:
      throw new UsageError(`unknown subcommand "${sub}" (list, status or send)`);
  }
}

function help(argv: string[]): boolean {
  if (!argv.includes("--help") && !argv.includes("-h")) return false;
  process.stdout.write(sessionHelp);
  return true;
}

async function list(client: CaoClient, argv: string[]): Promise<number> {
  if (help(argv)) return 0;
  const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
  const rows: { session: string; conductor: Terminal | null; terminalCount: number }[] = [];
  for (const session of await client.listSessions()) {
    try {
      const terminals = await client.sessionTerminals(session.name);
      rows.push({ session: session.name, conductor: terminals[0] ?? null, terminalCount: terminals.length });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) continue; // ended while listed
      throw error;
    }
  }
  if (values.json) {
    const json = rows.map((row) => ({
      session: row.session,
      conductor: row.conductor && {
        id: row.conductor.id,
        agent_profile: row.conductor.agent_profile,
        provider: row.conductor.provider,
        status: row.conductor.status,
      },
      terminal_count: row.terminalCount,
    }));
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write("No active sessions\n");
    return 0;
  }
  const lines = [`${"SESSION".padEnd(25)} ${"CONDUCTOR".padEnd(12)} ${"STATUS".padEnd(15)} ${"TERMINALS".padEnd(10)}`];
  lines.push("-".repeat(65));
  for (const row of rows)
    lines.push(
      `${row.session.padEnd(25)} ${(row.conductor?.id ?? "N/A").padEnd(12)} ${(row.conductor?.status ?? "N/A").padEnd(15)} ${String(row.terminalCount).padEnd(10)}`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function status(client: CaoClient, argv: string[]): Promise<number> {
  if (help(argv)) return 0;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { terminal: { type: "string" }, workers: { type: "boolean" }, json: { type: "boolean" } },
  });
  const session = oneSession(positionals, "status <session>");
  const all = values.terminal === undefined ? await conductorAndWorkers(client, session) : undefined;
  const target = await client.getTerminal(values.terminal ?? all![0]!.id);
  const lastAnswer = await client.output(target.id, "last").then(
    (answer) => answer.output,
    () => null, // no answer to show yet
  );
  const workers = values.workers && all ? all.slice(1) : undefined;
  if (values.json) {
    const json = {
      session,
      conductor: {
        id: target.id,
        agent_profile: target.agent_profile,
        provider: target.provider,
        status: target.status,
        last_output: lastAnswer,
      },
      ...(workers
        ? {
            workers: workers.map((w) => ({
              id: w.id,
              agent_profile: w.agent_profile,
              provider: w.provider,
              status: w.status,
            })),
          }
        : {}),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `Session:  ${session}`,
    `Terminal: ${target.id}`,
    `Agent:    ${target.agent_profile}`,
    `Provider: ${target.provider}`,
    `Status:   ${target.status}`,
  ];
  if (lastAnswer) {
    const answerLines = lastAnswer.split("\n");
    lines.push("", "Last response:", ...answerLines.slice(0, STATUS_ANSWER_LINES));
    if (answerLines.length > STATUS_ANSWER_LINES)
      lines.push(`... (${answerLines.length - STATUS_ANSWER_LINES} more lines)`);
  } else lines.push("", "No last response available");
  if (workers) {
    if (workers.length === 0) lines.push("", "No worker terminals");
    else {
      lines.push("", `${"ID".padEnd(12)} ${"AGENT".padEnd(20)} ${"PROVIDER".padEnd(15)} ${"STATUS".padEnd(15)}`);
      lines.push("-".repeat(65));
      for (const w of workers)
        lines.push(`${w.id.padEnd(12)} ${w.agent_profile.padEnd(20)} ${w.provider.padEnd(15)} ${w.status.padEnd(15)}`);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function send(client: CaoClient, argv: string[]): Promise<number> {
  if (help(argv)) return 0;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { terminal: { type: "string" }, async: { type: "boolean" }, timeout: { type: "string" } },
  });
  if (positionals.length !== 2)
    throw new UsageError(`send takes <session> and "<message>" (got ${positionals.length} arguments)`);
  const [session, message] = positionals as [string, string];
  if (message.trim() === "") throw new UsageError("the message must not be empty");
  if (values.async && values.timeout !== undefined) throw new UsageError("--timeout does not apply with --async");
  const timeoutSeconds = values.timeout === undefined ? DEFAULT_SEND_TIMEOUT_S : Number(values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
    throw new UsageError(`--timeout must be a positive number of seconds (got ${values.timeout})`);
  const targetId = values.terminal ?? (await conductorAndWorkers(client, session))[0]!.id;
  const { status: current } = await client.getTerminal(targetId);
  // A terminal that finished its last task (completed) takes a new one, as an idle one does.
  if (current !== "idle" && current !== "completed")
    throw new CommandError(`terminal ${targetId} is currently ${current}; wait for it to finish before sending`);
  await client.sendInput(targetId, { message });
  if (values.async) {
    process.stdout.write(`Message sent to terminal ${targetId}\n`);
    return 0;
  }
  const answer = await waitForAnswer(client, targetId, { timeoutSeconds });
  if (answer) process.stdout.write(`${answer}\n`);
  return 0;
}

function oneSession(positionals: string[], usage: string): string {
  if (positionals.length !== 1)
    throw new UsageError(`usage: cao session ${usage} (got ${positionals.length} arguments)`);
  return positionals[0]!;
}

/** The session's terminals, conductor first; a CommandError when it has none. */
async function conductorAndWorkers(client: CaoClient, session: string): Promise<Terminal[]> {
  const terminals = await client.sessionTerminals(session);
  if (terminals.length === 0) throw new CommandError(`no terminals found for session '${session}'`);
  return terminals;
}
