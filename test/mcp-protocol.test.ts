/**
 * cao-mcp-server speaks MCP's stdio framing itself (src/mcp/json-rpc-stdio.ts): these drive the real bin with raw
 * lines, for what the SDK client in mcp-e2e.test.ts never sends — junk, unknown methods, old protocol versions.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const MCP = path.resolve("dist/mcp/main.js");
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(() => {
  child?.kill();
  child = undefined;
});

/** The bin, and a function that sends one line and resolves with the next answer line, parsed. */
function start(): (line: string) => Promise<any> {
  child = spawn(process.execPath, [MCP], { env: { ...process.env, CAO_API_PORT: "1" } });
  let buffered = "";
  const waiting: ((value: unknown) => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      waiting.shift()?.(JSON.parse(line));
    }
  });
  return (line) => {
    const answer = new Promise((resolve) => waiting.push(resolve));
    child!.stdin.write(`${line}\n`);
    return answer;
  };
}

describe("cao-mcp-server, raw JSON-RPC over stdio", () => {
  it("answers initialize with the asked version when it speaks it, else its newest; ping; tools/list", async () => {
    const send = start();
    const old = await send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "t", version: "0" } },
      }),
    );
    expect(old).toMatchObject({
      jsonrpc: "2.0",
      id: 1,
      result: { protocolVersion: "2024-11-05", capabilities: { tools: {} }, serverInfo: { name: "cao-mcp-server" } },
    });
    const future = await send(
      JSON.stringify({ jsonrpc: "2.0", id: "two", method: "initialize", params: { protocolVersion: "2999-01-01" } }),
    );
    expect(future.result.protocolVersion).toBe("2025-11-25");
    child!.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`); // no answer expected
    expect(await send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }))).toEqual({
      jsonrpc: "2.0",
      id: 3,
      result: {},
    });
    const list = await send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list" }));
    const sendMessage = list.result.tools.find((t: { name: string }) => t.name === "send_message");
    expect(sendMessage.inputSchema).toEqual({
      type: "object",
      required: ["message"],
      properties: {
        receiver_id: {
          type: "string",
          description: "the receiving terminal id (default: your caller)",
          pattern: "^[0-9a-f]{8}$",
        },
        message: { type: "string", description: "the message", minLength: 1, maxLength: 100_000 },
      },
    });
  });

  it("answers junk, unknown methods and bad arguments with errors, and keeps serving", async () => {
    const send = start();
    expect(await send("{not json")).toMatchObject({ id: null, error: { code: -32700 } });
    expect(await send("[1]")).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "resources/list" }))).toMatchObject({
      id: 5,
      error: { code: -32601, message: /resources\/list/ },
    });
    const bad = await send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "tools/call",
        params: { name: "handoff", arguments: { agent_profile: "developer", timeout: 1.5 } },
      }),
    );
    expect(bad.result.isError).toBe(true);
    expect(bad.result.content[0].text).toMatch(/message: required; timeout: expected an integer/);
    // A valid call reaches the tool, which says what is missing (no CAO terminal here).
    const valid = await send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "send_message", arguments: { receiver_id: "0000aaaa", message: "hi" } },
      }),
    );
    expect(valid.result).toMatchObject({
      isError: true,
      content: [{ text: expect.stringMatching(/CAO_TERMINAL_ID is not set/) }],
    });
    expect(await send(JSON.stringify({ jsonrpc: "2.0", id: 8, method: "ping" }))).toEqual({
      jsonrpc: "2.0",
      id: 8,
      result: {},
    });
  });
});
