/**
 * Interceptors on the orchestration paths: handoff, assign and send_message through cao-mcp-server over real MCP
 * stdio (the SDK's client), a real server, mock agents in real tmux. A refused worker or task leaves nothing behind.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardSource, observerSource } from "./helpers/intercept-plugins.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { sink } from "./helpers/recorder.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const OPS = "interceptors-mcp-ops";
const OBSERVED = "interceptors-mcp-observed";
let t: TestServer;
let supervisor = "";
let client: Client;

const ops = () => sink<{ plugin: string; op: Record<string, unknown> }>(OPS);
const observed = () => sink<{ type: string; json: Record<string, any> }>(OBSERVED);

beforeAll(async () => {
  t = await startTestServer({
    plugins: { "guard.ts": guardSource(OPS, tempDir("cao-unused-")), "observer.ts": observerSource(OBSERVED) },
  });
  supervisor = (
    await t.client.createSession({ provider: "mock", agent_profile: "code_supervisor", session_name: "sup" })
  ).id;
  client = new Client({ name: "cao-test", version: "1.0.0" });
  const { port } = new URL(t.url);
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [path.resolve("dist/mcp/main.js")],
      env: {
        ...(process.env as Record<string, string>),
        CAO_TERMINAL_ID: supervisor,
        CAO_API_HOST: "127.0.0.1",
        CAO_API_PORT: port,
      },
      stderr: "ignore",
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await t?.close();
  removeTempDirs();
});

async function call(name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
  return {
    isError: result.isError,
    structured: result.structuredContent as Record<string, any>,
    text: (result.content as { text: string }[])[0]!.text,
  };
}

/** Only the supervisor is left: no worker window, no worker record. */
async function onlySupervisorLeft(): Promise<void> {
  expect(await t.server.tmux.listWindows("cao-sup")).toHaveLength(1);
  expect(t.server.db.terminalsOfSession("cao-sup").map((r) => r.id)).toEqual([supervisor]);
}

describe("handoff", () => {
  it("a denied task: success false with the denial, and the worker created for it is removed", async () => {
    const mark = observed().length;
    const result = await call("handoff", { agent_profile: "developer", message: "rm -rf / and report" });
    expect(result.structured).toMatchObject({
      success: false,
      output: null,
      message: "Handoff failed: denied by plugin guard: destructive command",
    });
    expect(JSON.parse(result.text)).toEqual(result.structured);
    expect(result.isError).toBe(true);
    await onlySupervisorLeft();
    await t.server.registry.drain(5000);
    const denied = observed()
      .slice(mark)
      .filter((e) => e.type === "operation_denied");
    expect(denied.map((e) => [e.json.point, e.json.operation.orchestration_type, e.json.operation.sender])).toEqual([
      ["pre_send_message", "handoff", supervisor],
    ]);
  });

  it("a modified task is what the worker gets; timeout and working_directory are passed through", async () => {
    const dir = tempDir("cao-handoff-dir-");
    const mark = ops().length;
    const result = await call("handoff", {
      agent_profile: "developer",
      message: "use AKIAABCDEFGHIJKLMNOP",
      timeout: 60,
      working_directory: dir,
    });
    expect(result.structured).toMatchObject({ success: true, output: expect.stringContaining("use [redacted]") });
    expect(result.structured.output).not.toContain("AKIA");
    const terminalOp = ops()
      .slice(mark)
      .find((o) => o.op.point === "pre_create_terminal")!.op;
    expect(terminalOp).toMatchObject({
      sessionId: "cao-sup",
      agentProfile: "developer",
      provider: "mock",
      workingDirectory: dir,
    });
    await onlySupervisorLeft();
  });
});

describe("assign", () => {
  it("a denied worker: success false, terminal_id null, nothing created", async () => {
    const result = await call("assign", { agent_profile: "reviewer", message: "review it" });
    expect(result.structured).toEqual({
      success: false,
      terminal_id: null,
      message: "Assignment failed: denied by plugin guard: no reviewers here",
    });
    await onlySupervisorLeft();
  });

  it("a denied task: success false, and the worker it created is removed", async () => {
    const result = await call("assign", { agent_profile: "developer", message: "rm -rf / quietly" });
    expect(result.structured).toMatchObject({ success: false, terminal_id: null });
    expect(result.structured.message).toMatch(
      /^Assignment failed: denied by plugin guard: destructive command; the worker [0-9a-f]{8} was removed$/,
    );
    await onlySupervisorLeft();
  });
});

describe("send_message", () => {
  // Another session's terminal: a terminal may not message itself, and the supervisor's session stays alone.
  let receiver = "";
  beforeAll(async () => {
    receiver = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "rcv" })).id;
  });

  it("a denied message: success false with the denial, and no inbox row", async () => {
    const before = t.server.db.listMessages(receiver, { limit: 1000 }).length;
    const result = await call("send_message", { receiver_id: receiver, message: "rm -rf / when idle" });
    expect(result.structured).toEqual({ success: false, error: "denied by plugin guard: destructive command" });
    expect(t.server.db.listMessages(receiver, { limit: 1000 })).toHaveLength(before);
  });

  it("an allowed message answers with the inbox response", async () => {
    const result = await call("send_message", { receiver_id: receiver, message: "all good" });
    expect(result.structured).toEqual({
      success: true,
      message_id: expect.any(Number),
      sender_id: supervisor,
      receiver_id: receiver,
      created_at: expect.any(String),
    });
    expect(result.isError).toBeFalsy();
  });
});
