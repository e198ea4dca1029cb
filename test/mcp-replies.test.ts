/**
 * Callers and replies through cao-mcp-server (docs/orchestration.md): workers record their caller and inherit its
 * allowed_tools, replies without receiver_id go to the caller, delete_terminal. The MCP SDK's client over stdio, a
 * real server, real tmux, mock agents.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Terminal } from "../src/contract/api.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

let t: TestServer;
let restricted: Terminal; // launched with allowed_tools
let unrestricted: Terminal; // launched with ["*"]
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestServer();
  restricted = await t.client.createSession({
    provider: "mock",
    agent_profile: "code_supervisor",
    session_name: "replies",
    allowed_tools: ["fs_read", "@cao-mcp-server"],
  });
  unrestricted = await t.client.createTerminal("replies", {
    provider: "mock",
    agent_profile: "code_supervisor",
    allowed_tools: ["*"],
  });
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await t?.close();
  removeTempDirs();
});

/** An MCP client of cao-mcp-server running as terminal `terminalId`'s agent would run it (none: outside CAO). */
async function mcpAs(terminalId: string | undefined): Promise<Client> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CAO_API_HOST: "127.0.0.1",
    CAO_API_PORT: new URL(t.url).port,
  };
  delete env.CAO_TERMINAL_ID;
  if (terminalId) env.CAO_TERMINAL_ID = terminalId;
  const client = new Client({ name: "cao-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve("dist/mcp/main.js")],
      env,
      stderr: "ignore",
    }),
  );
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const result = await client.callTool({ name, arguments: args });
  return (result.structuredContent ?? { text: (result.content as { text: string }[])[0]!.text }) as Record<string, any>;
}

const terminalsOfSession = () => t.client.sessionTerminals("replies");

describe("workers know their caller", () => {
  it("an assigned worker records its caller and gets its own profile's tools, whatever the caller's (the Python CAO's rule)", async () => {
    // The worker's profile decides (its allowedTools, its role, else the developer role); a restricted caller's list
    // does not carry over, nor does an unrestricted caller lift the worker's.
    const developerTools = (await t.client.profile("developer")).allowed_tools;
    const reviewerTools = (await t.client.profile("reviewer")).allowed_tools;
    expect(developerTools).toContain("execute_bash");
    expect(reviewerTools).not.toContain("execute_bash");
    const fromRestricted = await call(await mcpAs(restricted.id), "assign", {
      agent_profile: "developer",
      message: "fix it",
    });
    expect(fromRestricted).toMatchObject({
      success: true,
      message: `Task assigned to developer (terminal ${fromRestricted.terminal_id}, session cao-replies); it reports back with send_message. Call delete_terminal('${fromRestricted.terminal_id}') when you no longer need this terminal.`,
    });
    expect(await t.client.getTerminal(fromRestricted.terminal_id)).toMatchObject({
      caller_id: restricted.id,
      allowed_tools: developerTools,
    });
    const fromUnrestricted = await call(await mcpAs(unrestricted.id), "assign", {
      agent_profile: "reviewer",
      message: "look",
    });
    expect(await t.client.getTerminal(fromUnrestricted.terminal_id)).toMatchObject({
      caller_id: unrestricted.id,
      allowed_tools: reviewerTools,
    });
    // The task the worker got names its caller, in the Python CAO's words.
    await waitFor(
      async () =>
        (await t.client.output(fromUnrestricted.terminal_id, "full")).output.includes(
          `[Assigned by terminal ${unrestricted.id}. When done, send results back to terminal ${unrestricted.id} using send_message]`,
        ),
      15_000,
      "the assigned task on the worker's screen",
    );
    for (const id of [fromRestricted.terminal_id, fromUnrestricted.terminal_id]) await t.client.deleteTerminal(id);
  });

  it("a handoff worker records its caller while it works, and gets the task unchanged", async () => {
    const before = new Set((await terminalsOfSession()).map((terminal) => terminal.id));
    const handoff = call(await mcpAs(restricted.id), "handoff", {
      agent_profile: "developer",
      message: "[[delay=2500]] add tests",
    });
    let worker: Terminal | undefined;
    await waitFor(
      async () => (worker = (await terminalsOfSession()).find((terminal) => !before.has(terminal.id))) !== undefined,
      15_000,
      "the handoff's worker",
    );
    expect(worker).toMatchObject({
      caller_id: restricted.id,
      allowed_tools: (await t.client.profile("developer")).allowed_tools,
    });
    expect(await handoff).toMatchObject({
      success: true,
      output: "Mock answer (developer): add tests\n(24 characters, 1 line received)",
    });
  });
});

describe("send_message without receiver_id and delete_terminal", () => {
  it("a reply without receiver_id reaches the caller's inbox with the sender's id appended", async () => {
    const { terminal_id: worker } = await call(await mcpAs(restricted.id), "assign", {
      agent_profile: "developer",
      message: "report",
    });
    const reply = await call(await mcpAs(worker), "send_message", { message: "done: 3 files" });
    expect(reply).toMatchObject({ success: true, sender_id: worker, receiver_id: restricted.id });
    const inbox = await t.client.request<{ sender_id: string; message: string }[]>(
      "GET",
      `/terminals/${restricted.id}/inbox/messages`,
    );
    expect(inbox.map((m) => [m.sender_id, m.message])).toContainEqual([
      worker,
      `done: 3 files\n\n[Message from terminal ${worker}. Use send_message MCP tool for any follow-up work.]`,
    ]);

    // delete_terminal removes it (as in the Python CAO, from outside a CAO terminal too); a second time it is not found.
    const supervisor = await mcpAs(restricted.id);
    expect(await call(await mcpAs(undefined), "delete_terminal", { terminal_id: worker })).toEqual({
      success: true,
      message: `Terminal ${worker} deleted successfully`,
    });
    expect((await t.http("GET", `/terminals/${worker}`)).status).toBe(404);
    expect(await call(supervisor, "delete_terminal", { terminal_id: worker })).toEqual({
      success: false,
      message: `Terminal ${worker} not found`,
    });
    expect(await call(supervisor, "delete_terminal", { terminal_id: "NOPE" })).toEqual({
      text: expect.stringMatching(/terminal_id: a terminal id is 8 lowercase hex characters/),
    });
  });

  it("a terminal without a caller, or naming itself, gets a clear failure and nothing is queued", async () => {
    const own = await mcpAs(restricted.id);
    const count = async () =>
      (await t.client.request<unknown[]>("GET", `/terminals/${restricted.id}/inbox/messages`)).length;
    const queued = await count();
    expect(await call(own, "send_message", { message: "hello?" })).toEqual({
      success: false,
      error: `receiver_id not given and terminal ${restricted.id} has no caller (it was not created by handoff or assign); name the receiver_id`,
    });
    expect(await call(own, "send_message", { receiver_id: restricted.id, message: "me" })).toMatchObject({
      success: false,
      error: expect.stringMatching(/^receiver_id [0-9a-f]{8} is this terminal itself/),
    });
    expect(await call(own, "send_message", { receiver_id: "deadbeef", message: "x" })).toMatchObject({
      success: false,
      error: "terminal deadbeef not found",
    });
    expect(await count()).toBe(queued);
  });
});
