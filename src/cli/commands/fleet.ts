import { parseArgs } from "node:util";
import type { FleetHost } from "../../contract/fleet.js";
import type { SessionSummary } from "../../contract/api.js";
import type { FleetClient, FleetEvent } from "../../fleet/client.js";
import { fleetSettingsFrom } from "../../fleet/settings.js";
import { CaoPaths } from "../../util/paths.js";
import { errorMessage } from "../../util/errors.js";
import { CommandError, UsageError } from "../usage.js";

export const fleetHelp = `usage: cao fleet <hosts|sessions|events|launch> [options]

Works with every cao server of the fleet through its NATS (docs/fleet.md); no local server is needed.
NATS is the one of the server's settings: "fleet:" in config.yaml (CAO_CONFIG, default $CAO_HOME/config.yaml),
or CAO_FLEET_NATS_URL.

  hosts                   the live hosts: name, version, sessions, last seen
  sessions [--host H]     every host's sessions (or H's)
  events [-f] [--host H] [--type T]…
                          the newest events of every host as CloudEvents (CAO_EVENTS);
                          --follow, -f keeps streaming new ones (Ctrl-C stops); --limit N (default 100)
  launch --host H --provider P --agent-profile A [--working-directory D] [--session-name N]
                          creates a session on host H

  --json                  JSON instead of a table (one object per line for events)

Exit status 1, with the reason, when NATS cannot be reached or a host answers with an error.
`;

type Values = {
  json?: boolean;
  host?: string;
  follow?: boolean;
  type?: string[];
  limit?: string;
  provider?: string;
  "agent-profile"?: string;
  "working-directory"?: string;
  "session-name"?: string;
  help?: boolean;
};

const SUBCOMMANDS = ["hosts", "sessions", "events", "launch"] as const;

export async function fleetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      host: { type: "string" },
      follow: { type: "boolean", short: "f" },
      type: { type: "string", multiple: true },
      limit: { type: "string" },
      provider: { type: "string" },
      "agent-profile": { type: "string" },
      "working-directory": { type: "string" },
      "session-name": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [sub, ...extra] = positionals;
  if (values.help || sub === "help") {
    process.stdout.write(fleetHelp);
    return 0;
  }
  if (sub === undefined) throw new UsageError(`give a subcommand: ${SUBCOMMANDS.join(", ")}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(sub))
    throw new UsageError(`unknown subcommand "${sub}" (known: ${SUBCOMMANDS.join(", ")})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === "launch") {
    if (!values.host) throw new UsageError("launch: --host H is required");
    if (!values.provider) throw new UsageError("launch: --provider P is required");
    if (!values["agent-profile"]) throw new UsageError("launch: --agent-profile A is required");
  }
  let limit = 100;
  if (values.limit !== undefined) {
    if (!/^[1-9][0-9]{0,6}$/.test(values.limit)) throw new UsageError(`--limit must be a positive integer`);
    limit = Number(values.limit);
  }

  const client = await connectClient();
  try {
    switch (sub as (typeof SUBCOMMANDS)[number]) {
      case "hosts":
        return await hosts(client, values);
      case "sessions":
        return await sessions(client, values);
      case "events":
        return await events(client, values, limit);
      case "launch":
        return await launch(client, values);
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function connectClient(): Promise<FleetClient> {
  const env = process.env;
  const config = new CaoPaths(env).config;
  const read = fleetSettingsFrom(env, config);
  if (read === undefined)
    throw new CommandError(`no fleet is configured: set CAO_FLEET_NATS_URL, or "fleet: nats: …" in ${config}`);
  if ("error" in read) throw new CommandError(`the fleet settings are wrong: ${read.error}`);
  // The NATS client is imported only here: the other commands start without it.
  const { FleetClient, FleetUnreachableError } = await import("../../fleet/client.js");
  try {
    return await FleetClient.connect(read.settings, "cao fleet");
  } catch (error) {
    if (error instanceof FleetUnreachableError) throw new CommandError(error.message);
    throw error;
  }
}

/** Runs a fleet command; a failure becomes exit 1 with its status and detail. */
async function command<T>(what: string, run: () => Promise<T>): Promise<T> {
  const { FleetCommandError } = await import("../../fleet/client.js");
  try {
    return await run();
  } catch (error) {
    if (error instanceof FleetCommandError) throw new CommandError(`${what} failed: ${error.status} ${error.detail}`);
    throw new CommandError(`${what} failed: ${errorMessage(error)}`);
  }
}

async function hosts(client: FleetClient, values: Values): Promise<number> {
  const list: FleetHost[] = await command("listing the hosts", () => client.hosts());
  if (values.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write("no live hosts in the fleet\n");
    return 0;
  }
  const now = Date.now();
  table(
    ["HOST", "VERSION", "SESSIONS", "LAST SEEN"],
    list.map((h) => [h.host, h.version, String(h.sessions), `${h.last_seen} (${ago(now, h.last_seen)})`]),
  );
  return 0;
}

async function sessions(client: FleetClient, values: Values): Promise<number> {
  const names = values.host
    ? [values.host]
    : (await command("listing the hosts", () => client.hosts())).map((h) => h.host);
  const rows: { host: string; sessions: SessionSummary[] }[] = [];
  for (const host of names)
    rows.push({
      host,
      sessions: await command(`list_sessions on ${host}`, () => client.request(host, "list_sessions", {})),
    });
  if (values.json) {
    const flat = rows.flatMap((row) => row.sessions.map((session) => ({ host: row.host, ...session })));
    process.stdout.write(`${JSON.stringify(flat, null, 2)}\n`);
    return 0;
  }
  const lines = rows.flatMap((row) => row.sessions.map((s) => [row.host, s.name, s.id, s.status]));
  if (lines.length === 0) {
    process.stdout.write(names.length === 0 ? "no live hosts in the fleet\n" : "no sessions on any host\n");
    return 0;
  }
  table(["HOST", "SESSION", "ID", "STATUS"], lines);
  return 0;
}

async function events(client: FleetClient, values: Values, limit: number): Promise<number> {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const types = values.type
    ?.flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const filter = { ...(values.host ? { host: values.host } : {}), ...(types?.length ? { types } : {}) };
  const print = (e: FleetEvent) => (values.json ? JSON.stringify(e.event) : describe(e));
  if (!values.follow) {
    const recent = await command("reading CAO_EVENTS", () => client.recentEvents({ ...filter, limit }));
    for (const e of recent) await out(print(e));
    return 0;
  }
  const feed = await command("following CAO_EVENTS", () => client.events({ ...filter, from: "new" }));
  const stop = () => void feed.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    for await (const e of feed) await out(print(e));
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return 0;
}

async function launch(client: FleetClient, values: Values): Promise<number> {
  const host = values.host!;
  const terminal = await command(`create_session on ${host}`, () =>
    client.request(host, "create_session", {
      provider: values.provider!,
      agent_profile: values["agent-profile"]!,
      ...(values["working-directory"] ? { working_directory: values["working-directory"] } : {}),
      ...(values["session-name"] ? { session_name: values["session-name"] } : {}),
    }),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(terminal, null, 2)}\n`);
  else
    process.stdout.write(
      `launched on ${host}: session ${terminal.session_name}, terminal ${terminal.id} (${terminal.name})\n`,
    );
  return 0;
}

/** One readable line: host, its seq, time, type, subject, then the event's own fields as key=value. */
function describe(e: FleetEvent): string {
  const host = e.event.source.replace(/^cao:\/\//, "");
  const { seq, timestamp, event_type: type, session_id: _session, ...fields } = e.event.data;
  const rest = Object.entries(fields).map(
    ([key, value]) => `${key}=${typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`,
  );
  return [host, `#${String(seq)}`, String(timestamp), String(type), e.event.subject ?? "-", ...rest].join(" ");
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(line).join("\n")}\n`);
}

function ago(now: number, iso: string): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return `${seconds}s ago`;
}

function out(line: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else process.stdout.once("drain", resolve);
  });
}
