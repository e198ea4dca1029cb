import { ApiError, CaoClient, ServerUnreachableError } from "../clients/api-client.js";
import { MAX_MESSAGE_LENGTH, NAME, TERMINAL_ID } from "../util/validate.js";
import { INVALID_PARAMS, METHOD_NOT_FOUND, RpcError, serveJsonRpc, type RequestHandler } from "./json-rpc-stdio.js";
import {
  DEFAULT_HANDOFF_TIMEOUT_S,
  deleteTerminal,
  MAX_HANDOFF_TIMEOUT_S,
  Orchestrator,
  type OrchestrationOptions,
} from "./orchestration.js";
import {
  assignResultSchema,
  deleteTerminalResultSchema,
  handoffResultSchema,
  sendMessageResultSchema,
  type LoadSkillResult,
} from "./results.js";
import { checkArguments, jsonSchemaOf, type Param, type Params } from "./tool-params.js";

/**
 * The MCP server agents start over stdio: the orchestration tools and load_skill, each a thin client of cao-server. It speaks the protocol itself
 * (initialize, ping, tools/list, tools/call over line-delimited JSON-RPC) instead of through the MCP SDK's server,
 * whose imports (the whole protocol's zod schemas, ajv) took ~250 ms of every agent's start for three tools
 * (docs/decisions.md; bench/cli-startup.mjs). The SDK's client drives it in the tests, as agent CLIs do.
 */

/** Protocol versions this server speaks (their differences do not touch tools); the newest is offered by default. */
export const PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"];
const SERVER_INFO = { name: "cao-mcp-server", version: "0.1.0" };

type Structured = { success: boolean } & Record<string, unknown>;
type ToolResult = { content: { type: "text"; text: string }[]; structuredContent?: Structured; isError?: boolean };

/**
 * A tool's answer: as JSON text (what agents read) and as structuredContent (what its outputSchema describes); or, for
 * a tool without an outputSchema, as its own text only — CLIs such as Claude Code show the model structuredContent
 * when there is one, so a tool whose text is the point must not send it.
 */
const result = (value: Structured, tool: Tool): ToolResult => ({
  content: [
    { type: "text", text: tool.outputSchema ? JSON.stringify(value) : (tool.text?.(value) ?? JSON.stringify(value)) },
  ],
  ...(tool.outputSchema ? { structuredContent: value } : {}),
  ...(value.success ? {} : { isError: true }),
});
/** A call that never reached a tool (unknown tool, bad arguments): text only, as the SDK's server answered it. */
const failure = (message: string): ToolResult => ({ content: [{ type: "text", text: message }], isError: true });

const NO_TERMINAL = "CAO_TERMINAL_ID is not set: cao-mcp-server must be started by an agent inside a CAO terminal";

const profile = (description: string): Param => ({
  type: "string",
  description,
  pattern: { regex: NAME, message: "an agent profile name: letters, digits, - or _" },
});
const message = (description: string): Param => ({
  type: "string",
  description,
  minLength: { value: 1, message: "message must not be empty" },
  maxLength: MAX_MESSAGE_LENGTH,
});
const workingDirectory: Param = {
  type: "string",
  description: "where the worker starts (default: the caller's working directory)",
  optional: true,
  minLength: { value: 1, message: "working_directory must not be empty" },
  maxLength: 4096,
};

interface Tool {
  description: string;
  params: Params;
  /** The result's JSON Schema; absent for a tool that answers with plain text (`text`). */
  outputSchema?: Record<string, unknown>;
  /**
   * Runs the tool; `orchestrator` is undefined outside a CAO terminal, and a tool that needs one answers its own
   * failure shape. `client` reaches the server either way.
   */
  run(orchestrator: Orchestrator | undefined, args: Record<string, unknown>, client: CaoClient): Promise<Structured>;
  /** The text agents read for a tool without outputSchema (undefined: the result's JSON). */
  text?(value: Structured): string | undefined;
}

/** load_skill: the skill's text from cao-server (no terminal needed, as in the Python CAO). */
async function loadSkill(client: CaoClient, name: string): Promise<LoadSkillResult> {
  try {
    const skill = await client.skill(name);
    return { success: true, name: skill.name, content: skill.content };
  } catch (error) {
    if (error instanceof ApiError || error instanceof ServerUnreachableError)
      return { success: false, error: error.message };
    return { success: false, error: `Failed to retrieve skill: ${(error as Error).message}` };
  }
}

const TOOLS: Record<string, Tool> = {
  handoff: {
    description:
      "Start a worker agent with the given profile, give it the message as its task, wait until it finishes, and return its answer. The worker is closed afterwards.",
    params: {
      agent_profile: profile("agent profile of the worker, e.g. developer"),
      message: message("the task"),
      timeout: {
        type: "integer",
        default: DEFAULT_HANDOFF_TIMEOUT_S,
        minimum: 1,
        maximum: MAX_HANDOFF_TIMEOUT_S,
        description: `seconds to wait for the worker (1–${MAX_HANDOFF_TIMEOUT_S}, default ${DEFAULT_HANDOFF_TIMEOUT_S})`,
      },
      working_directory: workingDirectory,
    },
    outputSchema: handoffResultSchema,
    run: async (o, a) =>
      o
        ? o.handoff(
            a.agent_profile as string,
            a.message as string,
            a.timeout as number,
            a.working_directory as string | undefined,
          )
        : { success: false, message: `Handoff failed: ${NO_TERMINAL}`, output: null, terminal_id: null },
  },
  assign: {
    description:
      "Start a worker agent with the given profile and give it the message as its task; return at once with the worker's terminal id. Your terminal id and how to report back are appended to the message; the worker replies with send_message (without receiver_id it reaches you). Call delete_terminal once you no longer need the worker.",
    params: {
      agent_profile: profile("agent profile of the worker"),
      message: message("the task"),
      working_directory: workingDirectory,
    },
    outputSchema: assignResultSchema,
    run: async (o, a) =>
      o
        ? o.assign(a.agent_profile as string, a.message as string, a.working_directory as string | undefined)
        : { success: false, terminal_id: null, message: `Assignment failed: ${NO_TERMINAL}` },
  },
  send_message: {
    description:
      "Send a message to another terminal's inbox; it is typed into that terminal when its agent is idle. Without receiver_id it goes to your caller (the terminal whose handoff or assign created you). Your terminal id is appended to the message.",
    params: {
      receiver_id: {
        type: "string",
        description: "the receiving terminal id (default: your caller)",
        optional: true,
        pattern: { regex: TERMINAL_ID, message: "a terminal id is 8 lowercase hex characters" },
      },
      message: message("the message"),
    },
    outputSchema: sendMessageResultSchema,
    run: async (o, a) =>
      o
        ? o.sendMessage(a.receiver_id as string | undefined, a.message as string)
        : { success: false, error: NO_TERMINAL },
  },
  delete_terminal: {
    description:
      "Delete a terminal you no longer need (an assign's worker once it has reported back): its window and record go. Handoff workers are closed by handoff itself.",
    params: {
      terminal_id: {
        type: "string",
        description: "the terminal id to delete (from assign's or handoff's result)",
        pattern: { regex: TERMINAL_ID, message: "a terminal id is 8 lowercase hex characters" },
      },
    },
    outputSchema: deleteTerminalResultSchema,
    // As in the Python CAO, deleting needs no calling terminal.
    run: async (_o, a, client) => deleteTerminal(client, a.terminal_id as string),
  },
  load_skill: {
    description:
      "Load the full text of a CAO skill listed under 'Available Skills' in your instructions. Returns the skill's markdown.",
    params: {
      name: {
        type: "string",
        description: "the skill's name, as listed",
        minLength: { value: 1, message: "name must not be empty" },
        maxLength: 128,
      },
    },
    run: async (_o, a, client) => loadSkill(client, a.name as string),
    // Agents read the skill itself, not JSON around it, as with the Python CAO's tool; a failure is its JSON.
    text: (value) => (value.success ? (value.content as string) : undefined),
  },
};

const TOOL_LIST = Object.entries(TOOLS).map(([name, tool]) => ({
  name,
  description: tool.description,
  inputSchema: jsonSchemaOf(tool.params),
  ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
}));

/** The request handler of the MCP server: what each method answers. */
export function mcpHandler(
  options: { env?: Record<string, string | undefined>; orchestration?: OrchestrationOptions } = {},
): RequestHandler {
  const env = options.env ?? process.env;
  const self = env.CAO_TERMINAL_ID;
  const client = new CaoClient({ env });
  const orchestrator = self ? new Orchestrator(client, self, options.orchestration) : undefined;
  const callTool = async (params: unknown): Promise<ToolResult> => {
    const { name, arguments: args } = (params ?? {}) as { name?: unknown; arguments?: unknown };
    const tool = typeof name === "string" && Object.hasOwn(TOOLS, name) ? TOOLS[name]! : undefined;
    // As the SDK's server did: problems with the call are tool results the agent can read, not protocol errors.
    if (!tool) return failure(`Tool ${String(name)} not found`);
    const checked = checkArguments(tool.params, args);
    if (!checked.ok) return failure(`Invalid arguments for tool ${String(name)}: ${checked.error}`);
    // The orchestrator turns every failure of the operation into a `success: false` result of the tool's shape.
    return result(await tool.run(orchestrator, checked.values, client), tool);
  };
  return async (method, params) => {
    switch (method) {
      case "initialize": {
        const asked = (params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (asked !== undefined && typeof asked !== "string")
          throw new RpcError(INVALID_PARAMS, "protocolVersion must be a string");
        return {
          protocolVersion: asked && PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
          capabilities: { tools: {} },
          serverInfo: SERVER_INFO,
        };
      }
      case "ping":
        return {};
      case "tools/list":
        return { tools: TOOL_LIST };
      case "tools/call":
        return callTool(params);
      default:
        throw new RpcError(METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  };
}

export async function runMcpServer(): Promise<void> {
  await serveJsonRpc(process.stdin, process.stdout, mcpHandler());
}
