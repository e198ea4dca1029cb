import fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { McpServerConfig } from "../providers/provider.js";

/**
 * Calls `tool` on whichever MCP server in the config offers it, over a real stdio MCP client, the way agent CLIs
 * do. Returns the tool's text output as screen lines (an error result is thrown, so the agent shows it as one).
 */
export async function callMcpTool(configFile: string, tool: string, args: Record<string, unknown>): Promise<string[]> {
  const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as { mcpServers?: Record<string, McpServerConfig> };
  const servers = Object.entries(config.mcpServers ?? {});
  if (servers.length === 0) throw new Error(`no MCP servers in ${configFile}`);
  for (const [name, server] of servers) {
    const client = new Client({ name: "cao-mock-agent", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: server.command,
      args: server.args ?? [],
      env: { ...(process.env as Record<string, string>), ...server.env },
      stderr: "ignore",
    });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      if (!tools.some((t) => t.name === tool)) continue;
      // handoff waits for a worker; allow it its own timeout plus margin instead of the SDK's 60 s default
      const result = await client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: 30 * 60_000,
        resetTimeoutOnProgress: true,
      });
      const text = (result.content as { type: string; text?: string }[])
        .filter((c) => c.type === "text")
        .map((c) => c.text ?? "")
        .join("\n");
      if (result.isError) throw new Error(`${tool} (${name}): ${text}`);
      return [`${tool} result:`, ...text.split("\n")];
    } finally {
      await client.close();
    }
  }
  throw new Error(`no MCP server offers a tool named ${tool}`);
}
