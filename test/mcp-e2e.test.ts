/**
 * Orchestration end to end: cao-mcp-server over real MCP stdio, the real server over HTTP, agents in real tmux.
 * First through the MCP SDK's own client; then the way agents use it: a mock supervisor types `/tool …`, its
 * MCP client starts cao-mcp-server from the configuration the provider wrote, and workers come and go.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const KEY = "mcp-e2e";
let t: TestServer;
let supervisor = "";

beforeAll(async () => {
  t = await startTestServer({ plugins: { "recorder.ts": recorderSource(KEY, "recorder") } });
  supervisor = (
    await t.client.createSession({ provider: "mock", agent_profile: "code_supervisor", session_name: "mcp" })
  ).id;
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const events = (): Received[] => sink(KEY);

async function mcpClient(terminalId: string): Promise<Client> {
  const client = new Client({ name: "cao-test", version: "1.0.0" });
  const { port } = new URL(t.url);
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve("dist/mcp/main.js")],
      env: {
        ...(process.env as Record<string, string>),
        CAO_TERMINAL_ID: terminalId,
        CAO_API_HOST: "127.0.0.1",
        CAO_API_PORT: port,
      },
      stderr: "ignore",
    }),
  );
  return client;
}

function textOf(result: unknown): string {
  return ((result as { content: { text: string }[] }).content ?? []).map((c) => c.text).join("\n");
}

/** What a result says: the message (or error) of a structured result, else its text (SDK-level argument errors). */
function said(result: unknown): string {
  const structured = (result as { structuredContent?: { message?: string; error?: string } }).structuredContent;
  return structured ? (structured.message ?? structured.error ?? "") : textOf(result);
}

async function statusOf(id: string): Promise<string> {
  return (await t.client.getTerminal(id)).status;
}

describe("cao-mcp-server through the MCP SDK client", () => {
  it("lists handoff, assign, send_message, delete_terminal and load_skill with their parameters", async () => {
    const client = await mcpClient(supervisor);
    try {
      const { tools } = await client.listTools();
      expect(
        tools.map((tool) => [tool.name, Object.keys(tool.inputSchema.properties ?? {}), tool.inputSchema.required]),
      ).toEqual([
        ["handoff", ["agent_profile", "message", "timeout", "working_directory"], ["agent_profile", "message"]],
        ["assign", ["agent_profile", "message", "working_directory"], ["agent_profile", "message"]],
        ["send_message", ["receiver_id", "message"], ["message"]],
        ["delete_terminal", ["terminal_id"], ["terminal_id"]],
        ["load_skill", ["name"], ["name"]],
      ]);
      // The Python CAO's result shapes, declared as output schemas.
      expect(tools.map((tool) => Object.keys(tool.outputSchema?.properties ?? {}))).toEqual([
        ["success", "message", "output", "terminal_id"],
        ["success", "terminal_id", "message"],
        ["success", "message_id", "sender_id", "receiver_id", "created_at", "error"],
        ["success", "message"],
        [], // load_skill answers with the skill's text, so it declares no output schema
      ]);
      const timeout = (
        tools[0]!.inputSchema.properties as Record<string, { default?: number; minimum?: number; maximum?: number }>
      ).timeout!;
      expect([timeout.default, timeout.minimum, timeout.maximum]).toEqual([600, 1, 3600]);
    } finally {
      await client.close();
    }
  });

  it("calls each tool: handoff returns the worker's answer, assign returns the worker, send_message queues a message", async () => {
    const client = await mcpClient(supervisor);
    try {
      const mark = events().length;
      const handoff = await client.callTool({
        name: "handoff",
        arguments: { agent_profile: "developer", message: "summarise the repo" },
      });
      expect(handoff.isError).toBeFalsy();
      const handedOff = JSON.parse(textOf(handoff)) as {
        success: boolean;
        message: string;
        output: string;
        terminal_id: string;
      };
      expect(handoff.structuredContent).toEqual(handedOff);
      expect(handedOff).toMatchObject({
        success: true,
        message: expect.stringMatching(/^Handed off to developer \(mock\)/),
        output: "Mock answer (developer): summarise the repo\n(18 characters, 1 line received)",
        terminal_id: expect.stringMatching(/^[0-9a-f]{8}$/),
      });

      const assign = await client.callTool({
        name: "assign",
        arguments: { agent_profile: "reviewer", message: "review it" },
      });
      expect(assign.isError).toBeFalsy();
      const assigned = JSON.parse(textOf(assign)) as { success: boolean; terminal_id: string; message: string };
      expect(assign.structuredContent).toEqual(assigned);
      expect(Object.keys(assigned)).toEqual(["success", "terminal_id", "message"]);
      expect(assigned).toMatchObject({ success: true, message: expect.stringContaining("cao-mcp") });
      expect((await t.client.getTerminal(assigned.terminal_id)).provider).toBe("mock"); // inherited from the caller
      expect((await t.client.getTerminal(assigned.terminal_id)).agent_profile).toBe("reviewer");

      const sent = await client.callTool({
        name: "send_message",
        arguments: { receiver_id: assigned.terminal_id, message: "ping" },
      });
      expect(JSON.parse(textOf(sent))).toEqual({
        success: true,
        message_id: expect.any(Number),
        sender_id: supervisor,
        receiver_id: assigned.terminal_id,
        created_at: expect.any(String),
      });
      await waitFor(
        async () =>
          (
            await t.client.request<unknown[]>("GET", `/terminals/${assigned.terminal_id}/inbox/messages`, undefined, {
              status: "delivered",
            })
          ).length === 1,
        15_000,
        "delivery",
      );
      await t.server.registry.drain(5000);
      const types = events()
        .slice(mark)
        .map((e) => [e.eventType, e.fields.orchestrationType ?? null]);
      expect(types).toEqual([
        ["terminal_created", null],
        ["message_sent", "handoff"],
        ["terminal_killed", null],
        ["terminal_created", null],
        ["message_sent", "assign"],
        ["message_sent", "send_message"],
      ]);
      await t.client.deleteTerminal(assigned.terminal_id);
    } finally {
      await client.close();
    }
  });

  it("returns error results for bad arguments, unknown terminals and unknown profiles", async () => {
    const client = await mcpClient(supervisor);
    try {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ["handoff", { agent_profile: "a b", message: "x" }, /agent profile name/],
        ["handoff", { agent_profile: "developer", message: "" }, /message must not be empty/],
        ["handoff", { agent_profile: "developer", message: "x", timeout: -1 }, /timeout/],
        ["handoff", { agent_profile: "developer", message: "x", timeout: 3601 }, /timeout/],
        ["assign", { agent_profile: "nobody", message: "x" }, /unknown agent profile "nobody"/],
        ["send_message", { receiver_id: "deadbeef", message: "hello" }, /terminal deadbeef not found/],
        ["send_message", { receiver_id: "NOT-HEX", message: "hello" }, /8 lowercase hex/],
        ["no_such_tool", {}, /not found/],
      ];
      const terminalsBefore = (await t.client.request<{ terminals: unknown[] }>("GET", "/sessions/cao-mcp")).terminals
        .length;
      for (const [name, args, message] of cases) {
        const result = await client.callTool({ name, arguments: args });
        expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
        expect(said(result)).toMatch(message);
        if (result.structuredContent) expect(result.structuredContent).toMatchObject({ success: false });
      }
      expect((await t.client.request<{ terminals: unknown[] }>("GET", "/sessions/cao-mcp")).terminals).toHaveLength(
        terminalsBefore,
      );
    } finally {
      await client.close();
    }
  });

  it("a handoff that times out says so and closes its worker", async () => {
    const client = await mcpClient(supervisor);
    try {
      const mark = events().length;
      const result = await client.callTool({
        name: "handoff",
        arguments: { agent_profile: "developer", message: "[[delay=8000]] slow", timeout: 1 },
      });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({ success: false, output: null });
      expect(said(result)).toMatch(/^Handoff failed: timed out after 1 s .*the worker was closed/);
      await t.server.registry.drain(5000);
      const worker = events()
        .slice(mark)
        .find((e) => e.eventType === "terminal_created")!.fields.terminalId;
      expect(
        events()
          .slice(mark)
          .map((e) => e.eventType),
      ).toEqual(["terminal_created", "message_sent", "terminal_killed"]);
      expect((await t.http("GET", `/terminals/${worker}`)).status).toBe(404);
    } finally {
      await client.close();
    }
  });
});

describe("a mock supervisor delegating through its own MCP client", () => {
  it("handoff: a worker appears, gets the task, answers; the answer reaches the supervisor; the worker is closed", async () => {
    const mark = events().length;
    await t.client.sendInput(supervisor, {
      message: '/tool handoff {"agent_profile": "developer", "message": "add a test for the parser"}',
    });
    await waitFor(
      async () => (await statusOf(supervisor)) === "completed",
      30_000,
      "the supervisor to finish its handoff",
    );
    const [title, json] = (await t.client.output(supervisor, "last")).output.split("\n");
    expect(title).toBe("handoff result:");
    expect(JSON.parse(json!)).toMatchObject({
      success: true,
      output: "Mock answer (developer): add a test for the parser\n(25 characters, 1 line received)",
    });
    await t.server.registry.drain(5000);
    const seen = events().slice(mark);
    expect(seen.map((e) => e.eventType)).toEqual(["terminal_created", "message_sent", "terminal_killed"]);
    const worker = seen[0]!.fields.terminalId as string;
    expect(seen[0]!.fields).toMatchObject({ agentName: "developer", provider: "mock", sessionId: "cao-mcp" });
    expect(seen[1]!.fields).toMatchObject({
      sender: supervisor,
      receiver: worker,
      orchestrationType: "handoff",
      message: "add a test for the parser",
    });
    expect(seen[2]!.fields).toMatchObject({ terminalId: worker, agentName: "developer" });
    expect((await t.server.tmux.listWindows("cao-mcp")).length).toBe(1);
  });

  it("assign returns at once; the worker's reply without receiver_id waits in the busy supervisor's inbox, then is delivered", async () => {
    const mark = events().length;
    await t.client.sendInput(supervisor, {
      message: '/tool assign {"agent_profile": "developer", "message": "[[delay=4000]] build the feature"}',
    });
    // The supervisor may still show its previous answer for a moment: wait for the assign's own result.
    const answer = async () => (await t.client.output(supervisor, "last").catch(() => ({ output: "" }))).output;
    await waitFor(
      async () => (await statusOf(supervisor)) === "completed" && (await answer()).startsWith("assign result:"),
      30_000,
      "assign to return",
    );
    const { terminal_id: worker } = JSON.parse((await answer()).split("\n")[1]!) as { terminal_id: string };
    expect(await statusOf(worker)).toBe("processing"); // the call came back while the worker is still working
    await t.server.registry.drain(5000);
    expect(
      events()
        .slice(mark)
        .map((e) => [e.eventType, e.fields.orchestrationType ?? null]),
    ).toEqual([
      ["terminal_created", null],
      ["message_sent", "assign"],
    ]);

    await waitFor(async () => (await statusOf(worker)) === "completed", 20_000, "the worker to finish");
    // Busy long enough that the worker's reply (an MCP server process the worker starts) lands while it is busy,
    // even on a loaded machine.
    await t.client.sendInput(supervisor, { message: "[[delay=10000]] thinking about something else" });
    await waitFor(async () => (await statusOf(supervisor)) === "processing", 10_000, "the supervisor to be busy");
    // No receiver_id: the reply goes to the worker's caller, the supervisor whose assign created it.
    expect((await t.client.getTerminal(worker)).caller_id).toBe(supervisor);
    await t.client.sendInput(worker, { message: `/tool send_message {"message": "feature built"}` });
    const reply = `feature built\n\n[Message from terminal ${worker}. Use send_message MCP tool for any follow-up work.]`;
    const inbox = () =>
      t.client.request<{ message: string; status: string; sender_id: string }[]>(
        "GET",
        `/terminals/${supervisor}/inbox/messages`,
        undefined,
        { limit: 100 },
      );
    await waitFor(
      async () => (await inbox()).some((m) => m.message === reply),
      20_000,
      "the message in the supervisor's inbox",
    );
    const queued = (await inbox()).find((m) => m.message === reply)!;
    expect(queued).toMatchObject({ status: "pending", sender_id: worker });
    expect(await statusOf(supervisor)).toBe("processing");

    await waitFor(
      async () => (await inbox()).find((m) => m.message === reply)!.status === "delivered",
      20_000,
      "delivery",
    );
    await t.server.registry.drain(5000);
    const after = events()
      .slice(mark)
      .filter((e) => e.eventType === "message_sent");
    expect(
      after.map((e) => [e.fields.orchestrationType, e.fields.sender, e.fields.receiver, e.fields.message]),
    ).toEqual([
      [
        "assign",
        supervisor,
        worker,
        `[[delay=4000]] build the feature\n\n[Assigned by terminal ${supervisor}. When done, send results back to terminal ${supervisor} using send_message]`,
      ],
      ["send_message", worker, supervisor, reply],
    ]);
    // Delivered means pasted into the pane; the agent echoes it a moment later.
    await waitFor(
      async () => (await t.client.output(supervisor, "full")).output.includes("mock> feature built"),
      5000,
      "the message on the supervisor's screen",
    );
  });
});
