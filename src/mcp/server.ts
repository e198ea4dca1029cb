import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { MAX_MESSAGE_LENGTH, NAME, TERMINAL_ID } from "../util/validate.js";
import { CaoClient } from "../clients/api-client.js";
import { DEFAULT_HANDOFF_TIMEOUT_S, Orchestrator, type OrchestrationOptions } from "./orchestration.js";

const terminalId = z.string().regex(TERMINAL_ID, "a terminal id is 8 lowercase hex characters");
const profile = z.string().regex(NAME, "an agent profile name: letters, digits, - or _");
const message = z.string().min(1, "message must not be empty").max(MAX_MESSAGE_LENGTH);

type ToolResult = { content: { type: "text"; text: string }[]; isError?: boolean };

function text(value: string): ToolResult {
  return { content: [{ type: "text", text: value }] };
}

function failure(error: unknown): ToolResult {
  return { content: [{ type: "text", text: error instanceof Error ? error.message : String(error) }], isError: true };
}

/** The MCP server agents start over stdio: three tools, each a thin client of cao-server. */
export function createMcpServer(options: { env?: Record<string, string | undefined>; orchestration?: OrchestrationOptions } = {}): McpServer {
  const env = options.env ?? process.env;
  const server = new McpServer({ name: "cao-mcp-server", version: "0.1.0" });
  const orchestrator = (): Orchestrator => {
    const self = env.CAO_TERMINAL_ID;
    if (!self) throw new Error("CAO_TERMINAL_ID is not set: cao-mcp-server must be started by an agent inside a CAO terminal");
    return new Orchestrator(new CaoClient({ env }), self, options.orchestration);
  };
  const run = async (action: () => Promise<string>): Promise<ToolResult> => {
    try {
      return text(await action());
    } catch (error) {
      return failure(error);
    }
  };

  server.registerTool(
    "handoff",
    {
      description:
        "Start a worker agent with the given profile, give it the message as its task, wait until it finishes, and return its answer. The worker is closed afterwards.",
      inputSchema: {
        agent_profile: profile.describe("agent profile of the worker, e.g. developer"),
        message: message.describe("the task"),
        timeout: z.number().int().min(1).max(86_400).optional().describe(`seconds to wait (default ${DEFAULT_HANDOFF_TIMEOUT_S})`),
      },
    },
    ({ agent_profile, message: task, timeout }) => run(() => orchestrator().handoff(agent_profile, task, timeout)),
  );

  server.registerTool(
    "assign",
    {
      description:
        "Start a worker agent with the given profile and give it the message as its task; return at once with the worker's terminal id. Ask the worker to report back to you with send_message.",
      inputSchema: { agent_profile: profile.describe("agent profile of the worker"), message: message.describe("the task") },
    },
    ({ agent_profile, message: task }) =>
      run(async () => {
        const worker = await orchestrator().assign(agent_profile, task);
        return JSON.stringify({ success: true, terminal_id: worker.id, agent_profile: worker.agent_profile, session_name: worker.session_name });
      }),
  );

  server.registerTool(
    "send_message",
    {
      description: "Send a message to another terminal's inbox; it is typed into that terminal when its agent is idle.",
      inputSchema: { receiver_id: terminalId.describe("the receiving terminal id"), message: message.describe("the message") },
    },
    ({ receiver_id, message: body }) =>
      run(async () => JSON.stringify(await orchestrator().sendMessage(receiver_id, body))),
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
