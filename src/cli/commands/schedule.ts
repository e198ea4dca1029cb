import path from "node:path";
import { parseArgs } from "node:util";
import { CaoClient } from "../../clients/api-client.js";
import type { Flow, FlowRunResult } from "../../contract/index.js";
import { UsageError } from "../usage.js";

export const scheduleHelp = `usage: cao schedule <add FILE | list | run NAME | enable NAME | disable NAME | remove NAME>

Scheduled flows (docs/flows.md): an agent session started on a cron schedule by cao-server.

  add FILE       register a flow file (markdown: front matter with name, schedule,
                 agent_profile, optional provider and script; the body is the prompt)
  list           every flow: schedule, agent, last and next run, enabled
  run NAME       run a flow now, whatever its schedule
  enable NAME    enable a flow; its next run is counted from now
  disable NAME   stop running a flow on its schedule (it stays registered)
  remove NAME    unregister a flow (its file is left alone)

cao-server must be running: it stores the flows and runs them on time.
`;

/** `cao flow` is the Python CAO's old name of this command, kept working with its note on stderr (the same words). */
export const FLOW_DEPRECATION = "Warning: 'cao flow' is deprecated; use 'cao schedule' instead.\n";

const SUBCOMMANDS = ["add", "list", "run", "enable", "disable", "remove"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

export async function flowCommand(argv: string[]): Promise<number> {
  process.stderr.write(FLOW_DEPRECATION);
  return scheduleCommand(argv);
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(scheduleHelp);
    return 0;
  }
  const [sub, argument, ...extra] = positionals;
  if (sub === undefined) throw new UsageError(`give a subcommand: ${SUBCOMMANDS.join(", ")}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(sub))
    throw new UsageError(`unknown subcommand "${sub}" (known: ${SUBCOMMANDS.join(", ")})`);
  const wants = sub === "list" ? 0 : 1;
  const given = argument === undefined ? 0 : 1 + extra.length;
  if (given !== wants)
    throw new UsageError(
      wants === 0 ? "list takes no arguments" : `${sub} takes exactly one ${sub === "add" ? "FILE" : "NAME"}`,
    );
  const client = new CaoClient();
  await run(client, sub as Subcommand, argument ?? "");
  return 0;
}

async function run(client: CaoClient, sub: Subcommand, argument: string): Promise<void> {
  const at = `/flows/${encodeURIComponent(argument)}`;
  switch (sub) {
    case "add": {
      const flow = await client.request<Flow>("POST", "/flows", { file_path: path.resolve(argument) });
      write(`Flow '${flow.name}' added successfully`);
      write(`  Schedule: ${flow.schedule}`);
      write(`  Agent: ${flow.agent_profile}`);
      write(`  Next run: ${localTime(flow.next_run) ?? "never"}`);
      return;
    }
    case "list":
      return list(await client.request<Flow[]>("GET", "/flows"));
    case "run": {
      const { executed } = await client.request<FlowRunResult>("POST", `${at}/run`);
      write(executed ? `Flow '${argument}' executed successfully` : `Flow '${argument}' skipped (execute=false)`);
      return;
    }
    case "enable":
      await client.request("POST", `${at}/enable`);
      return write(`Flow '${argument}' enabled`);
    case "disable":
      await client.request("POST", `${at}/disable`);
      return write(`Flow '${argument}' disabled`);
    case "remove":
      await client.request("DELETE", at);
      return write(`Flow '${argument}' removed successfully`);
  }
}

function list(flows: Flow[]): void {
  if (flows.length === 0) return write("No flows found");
  const row = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd([20, 15, 15, 20, 20, 8][i]!))
      .join(" ")
      .trimEnd();
  write(row(["Name", "Schedule", "Agent", "Last Run", "Next Run", "Enabled"]));
  write("-".repeat(110));
  for (const flow of flows)
    write(
      row([
        flow.name,
        flow.schedule,
        flow.agent_profile,
        localTime(flow.last_run) ?? "Never",
        localTime(flow.next_run) ?? "N/A",
        flow.enabled ? "Yes" : "No",
      ]),
    );
}

/** `YYYY-MM-DD HH:MM` in this machine's time zone, the zone schedules are read in. */
function localTime(iso: string | null): string | undefined {
  if (iso === null) return undefined;
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}
