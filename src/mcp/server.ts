import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { MAX_MESSAGE_LENGTH, NAME, TERMINAL_ID } from "../util/validate.js";
import { CaoClient } from "../clients/api-client.js";
import { DEFAULT_HANDOFF_TIMEOUT_S, MAX_HANDOFF_TIMEOUT_S, Orchestrator, type OrchestrationOptions } from "./orchestration.js";
import { assignResult, handoffResult, sendMessageResult } from "./results.js";

const terminalId = z.string().regex(TERMINAL_ID, "a terminal id is 8 lowercase hex characters");
const profile = z.string().regex(NAME, "an agent profile name: letters, digits, - or _");
const message = z.string().min(1, "message must not be empty").max(MAX_MESSAGE_LENGTH);
const workingDirectory = z.string().min(1).max(4096).optional().describe("where the worker starts (default: the caller's working directory)");

type Structured = { success: boolean } & Record<string, unknown>;

/** A result as JSON text (what agents read) and as structuredContent (what the outputSchema describes). */
function result(value: Structured) {
  return { content: [{ type: "text" as const, text: JSON.stringify(value) }], structuredContent: value, ...(value.success ? {} : { isError: true }) };
}

/** The MCP server agents start over stdio: three tools, each a thin client of cao-server. */
export function createMcpServer(options: { env?: Record<string, string | undefined>; orchestration?: OrchestrationOptions } = {}): McpServer {
  const env = options.env ?? process.env;
  const server = new McpServer({ name: "cao-mcp-server", version: "0.1.0" });
  const self = env.CAO_TERMINAL_ID;
  const orchestrator = self ? new Orchestrator(new CaoClient({ env }), self, options.orchestration) : undefined;
  const noTerminal = "CAO_TERMINAL_ID is not set: cao-mcp-server must be started by an agent inside a CAO terminal";

  server.registerTool(
    "handoff",
    {
      description:
        "Start a worker agent with the given profile, give it the message as its task, wait until it finishes, and return its answer. The worker is closed afterwards.",
      inputSchema: {
        agent_profile: profile.describe("agent profile of the worker, e.g. developer"),
        message: message.describe("the task"),
        timeout: z
          .number()
          .int()
          .min(1)
          .max(MAX_HANDOFF_TIMEOUT_S)
          .default(DEFAULT_HANDOFF_TIMEOUT_S)
          .describe(`seconds to wait for the worker (1–${MAX_HANDOFF_TIMEOUT_S}, default ${DEFAULT_HANDOFF_TIMEOUT_S})`),
        working_directory: workingDirectory,
      },
      outputSchema: handoffResult,
    },
    async ({ agent_profile, message: task, timeout, working_directory }) =>
      result(
        orchestrator
          ? await orchestrator.handoff(agent_profile, task, timeout, working_directory)
          : { success: false, message: `Handoff failed: ${noTerminal}`, output: null, terminal_id: null },
      ),
  );

  server.registerTool(
    "assign",
    {
      description:
        "Start a worker agent with the given profile and give it the message as its task; return at once with the worker's terminal id. Ask the worker to report back to you with send_message.",
      inputSchema: { agent_profile: profile.describe("agent profile of the worker"), message: message.describe("the task"), working_directory: workingDirectory },
      outputSchema: assignResult,
    },
    async ({ agent_profile, message: task, working_directory }) =>
      result(
        orchestrator
          ? await orchestrator.assign(agent_profile, task, working_directory)
          : { success: false, terminal_id: null, message: `Assignment failed: ${noTerminal}` },
      ),
  );

  server.registerTool(
    "send_message",
    {
      description: "Send a message to another terminal's inbox; it is typed into that terminal when its agent is idle.",
      inputSchema: { receiver_id: terminalId.describe("the receiving terminal id"), message: message.describe("the message") },
      outputSchema: sendMessageResult,
    },
    async ({ receiver_id, message: body }) =>
      result(orchestrator ? await orchestrator.sendMessage(receiver_id, body) : { success: false, error: noTerminal }),
  );

  return server;
}

export async function runMcpServer(): Promise<void> {
  const server = createMcpServer();
  await server.connect(new StdioServerTransport());
  await new Promise<void>((resolve) => {
    process.stdin.once("close", resolve);
    process.stdin.once("end", resolve);
  });
  await server.close();
}
