/**
 * `/tool <name> <json-arguments>` in the mock agent: calls an MCP tool the way a real agent CLI would, through the
 * MCP servers listed in the --mcp-config file the provider wrote at launch.
 */
export async function callTool(commandLine: string, mcpConfigFile: string | undefined): Promise<string[]> {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(commandLine.trim());
  if (!match) throw new Error("usage: /tool <name> <json-arguments>");
  const [, name, rawArgs] = match;
  let args: Record<string, unknown>;
  try {
    args = rawArgs!.trim() ? (JSON.parse(rawArgs!) as Record<string, unknown>) : {};
  } catch (error) {
    throw new Error(`tool arguments must be JSON: ${(error as Error).message}`);
  }
  if (!mcpConfigFile) throw new Error(`cannot call ${name}: this agent was started without --mcp-config`);
  const { callMcpTool } = await import("./mcp-client.js");
  return callMcpTool(mcpConfigFile, name!, args);
}
