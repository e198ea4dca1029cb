/**
 * `POST /terminals/run-step` as the Python CAO's handoff tool calls it (a JSON body: provider, agent, prompt,
 * session_name, teardown, timeout, caller_id, allowed_tools), against a real server, tmux and the mock agent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let t: TestServer;
let supervisor: { id: string; session_name: string };

beforeAll(async () => {
  t = await startTestServer({ env: { CAO_DEFAULT_PROVIDER: "mock" } });
  supervisor = await t.client.createSession({ provider: "mock", agent_profile: "code_supervisor" });
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const runStep = (body: Record<string, unknown>) => t.http("POST", "/terminals/run-step", { body });

describe("POST /terminals/run-step", () => {
  it("creates the worker in the caller's session, types the prompt, answers with its last message, and removes it", async () => {
    const answer = await runStep({
      provider: "mock_cli",
      agent: "developer",
      prompt: "summarise the README",
      session_name: supervisor.session_name,
      teardown: true,
      timeout: 60,
      caller_id: supervisor.id,
      allowed_tools: ["fs_read", "@cao-mcp-server"],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      terminal_id: expect.stringMatching(/^[0-9a-f]{8}$/),
      last_message: "Mock answer (developer): summarise the README\n(20 characters, 1 line received)",
      status: "completed",
    });
    // Torn down: the worker is gone and only the supervisor is left in its session.
    expect((await t.http("GET", `/terminals/${answer.body.terminal_id}`)).status).toBe(404);
    const left = await t.client.sessionTerminals(supervisor.session_name);
    expect(left.map((terminal) => terminal.id)).toEqual([supervisor.id]);
  });

  it("teardown false keeps the worker, with its caller and tools; reuse_terminal_id runs the next step on it", async () => {
    const first = await runStep({
      agent: "reviewer",
      prompt: "look at the diff",
      session_name: supervisor.session_name,
      teardown: false,
      caller_id: supervisor.id,
      allowed_tools: "fs_read,fs_list",
    });
    expect(first.status).toBe(200);
    const worker = await t.client.getTerminal(first.body.terminal_id);
    expect(worker).toMatchObject({
      provider: "mock", // no provider: the profile names none, so the server's default (mock in this test server)
      caller_id: supervisor.id,
      allowed_tools: ["fs_read", "fs_list"],
    });
    const again = await runStep({ agent: "reviewer", prompt: "and the tests", reuse_terminal_id: worker.id });
    expect(again.body).toMatchObject({ terminal_id: worker.id, status: "completed" });
    expect(again.body.last_message).toContain("and the tests");
    expect((await t.http("GET", `/terminals/${worker.id}`)).status).toBe(200); // a reused worker is never removed
  });

  it("a worker that runs long is a 504 with the Python CAO's structured detail, and is removed", async () => {
    const answer = await runStep({
      provider: "mock",
      agent: "developer",
      prompt: "[[delay=20000]] a long job",
      session_name: supervisor.session_name,
      timeout: 1.5,
    });
    expect(answer.status).toBe(504);
    expect(answer.body.detail).toEqual({
      kind: "timeout",
      message: expect.stringMatching(/did not finish within 1\.5 s/),
      terminal_id: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect((await t.http("GET", `/terminals/${answer.body.detail.terminal_id}`)).status).toBe(404);
  });

  it("a worker that fails is a 502 with kind error", async () => {
    const answer = await runStep({
      provider: "mock",
      agent: "developer",
      prompt: "[[error]] this breaks",
      session_name: supervisor.session_name,
      timeout: 30,
    });
    expect(answer.status).toBe(502);
    expect(answer.body.detail).toMatchObject({ kind: "error", terminal_id: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });

  it("bad input is a 400 naming the field, and nothing is created", async () => {
    const before = (await t.client.listSessions()).length;
    for (const [body, field] of [
      [{ prompt: "x" }, "agent"],
      [{ agent: "developer" }, "prompt"],
      [{ agent: "developer", prompt: "x", timeout: 0 }, "timeout"],
      [{ agent: "developer", prompt: "x", reuse_terminal_id: "nope" }, "reuse_terminal_id"],
      [{ agent: "developer", prompt: "x", allowed_tools: "fs_read,,x" }, "allowed_tools"],
      [{ agent: "no_such_profile", prompt: "x" }, "no_such_profile"],
    ] as const) {
      const answer = await runStep(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.detail, JSON.stringify(body)).toContain(field);
    }
    expect((await runStep({ agent: "developer", prompt: "x", reuse_terminal_id: "0000ffff" })).status).toBe(404);
    expect((await t.client.listSessions()).length).toBe(before);
  });
});
