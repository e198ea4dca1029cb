#!/usr/bin/env node
import { ApiError, ServerUnreachableError } from "../clients/api-client.js";
import { StorageError } from "../clients/storage-error.js";
import { CommandError, UsageError } from "./usage.js";

const HELP = `cao — CLI Agent Orchestrator

usage: cao <command> [options]

  server        run cao-server (HTTP API, tmux terminals, inbox, plugins)
  launch        start a session with an agent profile (and a task: cao launch --agents P "<task>")
  info          where the database is, and the CAO session this shell is in
  session list|status|send
                the server's sessions, a session's conductor and its answer, send it a message ("cao session --help")
  shutdown      kill sessions (--all or --session <name>)
  mcp-server    the MCP server agent CLIs start over stdio (handoff, assign, send_message, delete_terminal)
  plugins list|info|enable|disable|reload|new|install|uninstall
                manage plugins ("cao plugins --help")
  events        print the server's events (--follow to stream them live)
  fleet hosts|sessions|events|launch
                the fleet's hosts, their sessions and events, a session on a host ("cao fleet --help")
  schedule add|list|run|enable|disable|remove
                cron-scheduled agent sessions ("cao schedule --help"; "cao flow" is its old name)
  install       install an agent profile (name, .md file or https URL) into $CAO_HOME/agent-store
  skills list|add|remove
                manage the skills agents can load ("cao skills --help")

Run "cao <command> --help" for a command's options.
Environment: CAO_HOME (~/.cao), CAO_API_HOST (127.0.0.1), CAO_API_PORT (9889), CAO_LOG_LEVEL (info),
CAO_DEFAULT_PROVIDER (kiro_cli: the server's provider for launches that name none).
`;

const MCP_SERVER_HELP = `usage: cao mcp-server

The MCP server (stdio, line-delimited JSON-RPC) that agent CLIs start inside a CAO terminal; CAO configures each
agent to start it. Its tools (handoff, assign, send_message, …) act for the terminal named by CAO_TERMINAL_ID,
through the cao-server at CAO_API_HOST:CAO_API_PORT. See docs/contract.md#mcp-tools.
`;

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command's module is imported only when that command runs: `cao server` needs fastify, SQLite and the plugin
 * host (half a second of imports), the client commands need none of it and must start in a fraction of that
 * (bench/cli-startup.mjs). Nothing above this line may import a heavy module.
 */
const commands: Record<string, Command> = {
  server: async (argv) => (await import("./commands/server.js")).serverCommand(argv),
  launch: async (argv) => (await import("./commands/launch.js")).launchCommand(argv),
  session: async (argv) => (await import("./commands/session.js")).sessionCommand(argv),
  info: async (argv) => (await import("./commands/info.js")).infoCommand(argv),
  shutdown: async (argv) => (await import("./commands/shutdown.js")).shutdownCommand(argv),
  plugins: async (argv) => (await import("./commands/plugins/index.js")).pluginsCommand(argv),
  events: async (argv) => (await import("./commands/events.js")).eventsCommand(argv),
  fleet: async (argv) => (await import("./commands/fleet.js")).fleetCommand(argv),
  schedule: async (argv) => (await import("./commands/schedule.js")).scheduleCommand(argv),
  flow: async (argv) => (await import("./commands/schedule.js")).flowCommand(argv),
  install: async (argv) => (await import("./commands/install.js")).installCommand(argv),
  skills: async (argv) => (await import("./commands/skills.js")).skillsCommand(argv),
  "mcp-server": async (argv) => {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(MCP_SERVER_HELP);
      return 0;
    }
    const { runMcpServer } = await import("../mcp/server.js");
    await runMcpServer();
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`cao: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`cao ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    if (error instanceof StorageError) {
      process.stderr.write(
        `cao ${name}: ${error.message}; check that CAO_HOME (${process.env.CAO_HOME || "~/.cao"}) is writable and has space\n`,
      );
      return 1;
    }
    if (error instanceof ServerUnreachableError || error instanceof ApiError || error instanceof CommandError) {
      process.stderr.write(`cao ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cao: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
