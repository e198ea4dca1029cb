/**
 * The orchestrator end to end: real HTTP to a listening cao-server, real tmux (a private server per test server),
 * the mock agent CLI, and a drop-in plugin loaded through jiti that records every event it receives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const KEY = "orchestrator-e2e";
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ plugins: { "recorder.ts": recorderSource(KEY, "recorder") } });
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const events = (): Received[] => sink(KEY);
const since = (mark: number) => events().slice(mark);

async function settled(): Promise<void> {
  await t.server.registry.drain(5000);
}

async function waitForStatus(id: string, wanted: string[]): Promise<string> {
  let status = "";
  await waitFor(
    async () => wanted.includes((status = (await t.client.getTerminal(id)).status)),
    15_000,
    `terminal ${id} to be ${wanted.join("/")}`,
  );
  return status;
}

describe("sessions and terminals emit lifecycle events from real operations", () => {
  let sessionName = "";
  let first = "";
  let second = "";

  it("POST /sessions creates a tmux session running the agent: terminal_created, then session_created", async () => {
    const mark = events().length;
    const created = await t.http("POST", "/sessions", {
      query: { provider: "mock", agent_profile: "developer", session_name: "e2e" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      provider: "mock",
      session_name: "cao-e2e",
      agent_profile: "developer",
      status: "idle",
    });
    expect(created.body.id).toMatch(/^[0-9a-f]{8}$/);
    expect(created.body.name).toBe(`developer-${created.body.id.slice(0, 4)}`);
    sessionName = created.body.session_name;
    first = created.body.id;
    expect(await t.server.tmux.listWindows("cao-e2e")).toEqual([created.body.name]);
    await settled();
    expect(since(mark).map((e) => [e.eventType, e.fields.sessionId])).toEqual([
      ["terminal_created", "cao-e2e"],
      ["session_created", "cao-e2e"],
    ]);
    expect(since(mark)[0]!.fields).toMatchObject({ terminalId: first, agentName: "developer", provider: "mock" });
    expect(since(mark)[1]!.fields).toMatchObject({ sessionName: "cao-e2e" });
  });

  it("GET routes show the session and its terminal", async () => {
    expect((await t.http("GET", "/sessions")).body).toEqual([{ id: "cao-e2e", name: "cao-e2e", status: "active" }]);
    const one = await t.http("GET", `/sessions/${sessionName}`);
    expect(one.body.session).toEqual({ id: "cao-e2e", name: "cao-e2e", status: "active" });
    expect(one.body.terminals.map((x: { id: string }) => x.id)).toEqual([first]);
    expect((await t.http("GET", `/terminals/${first}/working-directory`)).body.working_directory).toBe(process.cwd());
    expect((await t.http("GET", "/health")).body).toEqual({ status: "ok", service: "cli-agent-orchestrator" });
    expect((await t.http("GET", "/agents/providers")).body).toEqual(
      expect.arrayContaining([{ name: "mock", binary: "cao-mock-agent", installed: true }]),
    );
    expect((await t.http("GET", "/plugins")).body).toEqual([
      expect.objectContaining({
        name: "recorder",
        source: "dir",
        status: "active",
        hooks: ["session_created", "session_killed", "terminal_created", "terminal_killed", "message_sent"],
      }),
    ]);
  });

  it("POST /sessions/:name/terminals adds a terminal: terminal_created only", async () => {
    const mark = events().length;
    const added = await t.http("POST", `/sessions/${sessionName}/terminals`, {
      body: { provider: "mock", agent_profile: "reviewer" },
    });
    expect(added.status).toBe(201);
    second = added.body.id;
    expect(added.body).toMatchObject({ session_name: "cao-e2e", agent_profile: "reviewer" });
    await settled();
    expect(since(mark).map((e) => e.eventType)).toEqual(["terminal_created"]);
    expect(since(mark)[0]!.fields).toMatchObject({
      terminalId: second,
      agentName: "reviewer",
      provider: "mock",
      sessionId: "cao-e2e",
    });
    expect((await t.http("GET", `/sessions/${sessionName}/terminals`)).body.map((x: { id: string }) => x.id)).toEqual([
      first,
      second,
    ]);
  });

  it("input naming a sender and an orchestration type emits message_sent with every field, for each type", async () => {
    for (const type of ["handoff", "assign", "send_message"] as const) {
      const mark = events().length;
      const text = `task via ${type}`;
      const sent = await t.http("POST", `/terminals/${second}/input`, {
        query: { message: text, sender_id: first, orchestration_type: type },
      });
      expect(sent).toEqual({ status: 200, body: { success: true } });
      await waitForStatus(second, ["completed"]);
      await settled();
      const got = since(mark);
      expect(got.map((e) => e.eventType)).toEqual(["message_sent"]);
      expect(got[0]!.fields).toMatchObject({
        sessionId: "cao-e2e",
        sender: first,
        receiver: second,
        message: text,
        orchestrationType: type,
      });
      expect(new Date(got[0]!.fields.timestamp as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it("input without a sender types the message and emits nothing; output last returns the agent's answer", async () => {
    const mark = events().length;
    expect(
      (await t.http("POST", `/terminals/${first}/input`, { body: { message: "plain input\nwith two lines" } })).status,
    ).toBe(200);
    await waitForStatus(first, ["completed"]);
    const last = await t.http("GET", `/terminals/${first}/output`, { query: { mode: "last" } });
    expect(last.body).toEqual({
      mode: "last",
      output: "Mock answer (developer): plain input\n(26 characters, 2 lines received)",
    });
    const full = await t.http("GET", `/terminals/${first}/output`, { query: { mode: "full" } });
    expect(full.body.output).toContain("mock> plain input\n… with two lines");
    await settled();
    expect(since(mark)).toEqual([]);
  });

  it("an inbox message to a busy terminal stays pending, then is delivered once it is idle (message_sent send_message)", async () => {
    await t.client.sendInput(second, { message: "[[delay=2500]] a long task" });
    await waitForStatus(second, ["processing"]);
    const mark = events().length;
    const posted = await t.http("POST", `/terminals/${second}/inbox/messages`, {
      query: { sender_id: first, message: "are you done?" },
    });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ success: true, sender_id: first, receiver_id: second });
    expect(typeof posted.body.message_id).toBe("number");
    await new Promise((resolve) => setTimeout(resolve, 800)); // well inside the busy phase
    const pending = await t.http("GET", `/terminals/${second}/inbox/messages`, { query: { status: "pending" } });
    expect(pending.body.map((m: { message: string; status: string }) => [m.message, m.status])).toEqual([
      ["are you done?", "pending"],
    ]);
    await settled();
    expect(since(mark)).toEqual([]);
    await waitFor(
      async () =>
        (await t.http("GET", `/terminals/${second}/inbox/messages`, { query: { status: "delivered" } })).body.length ===
        1,
      15_000,
      "delivery",
    );
    await settled();
    expect(
      since(mark).map((e) => [
        e.eventType,
        e.fields.orchestrationType,
        e.fields.sender,
        e.fields.receiver,
        e.fields.message,
      ]),
    ).toEqual([["message_sent", "send_message", first, second, "are you done?"]]);
    // Delivered means pasted into the pane; the agent echoes it a moment later (and then answers, quoting it).
    let screen = "";
    await waitFor(
      async () => (screen = (await t.client.output(second, "full")).output).includes("mock> are you done?"),
      5000,
      "the message on the screen",
    );
    expect(screen.split("mock> are you done?").length - 1).toBe(1); // typed exactly once
  });

  it("exit leaves the agent; DELETE /terminals/:id kills the window: terminal_killed", async () => {
    expect((await t.http("POST", `/terminals/${second}/exit`)).body).toEqual({ success: true });
    await waitFor(
      async () => (await t.client.output(second, "full")).output.includes("bye"),
      10_000,
      "the agent to exit",
    );
    const mark = events().length;
    expect((await t.http("DELETE", `/terminals/${second}`)).body).toEqual({ success: true });
    expect(await t.server.tmux.listWindows("cao-e2e")).toHaveLength(1);
    expect((await t.http("GET", `/terminals/${second}`)).status).toBe(404);
    await settled();
    expect(since(mark).map((e) => [e.eventType, e.fields.terminalId, e.fields.agentName])).toEqual([
      ["terminal_killed", second, "reviewer"],
    ]);
  });

  it("DELETE /sessions/:name kills the session and its terminals: terminal_killed, then session_killed", async () => {
    const mark = events().length;
    expect((await t.http("DELETE", `/sessions/${sessionName}`)).body).toEqual({ success: true });
    expect(await t.server.tmux.hasSession("cao-e2e")).toBe(false);
    expect((await t.http("GET", `/sessions/${sessionName}`)).status).toBe(404);
    expect((await t.http("GET", `/terminals/${first}`)).status).toBe(404);
    await settled();
    expect(since(mark).map((e) => e.eventType)).toEqual(["terminal_killed", "session_killed"]);
    expect(since(mark)[1]!.fields).toMatchObject({ sessionName: "cao-e2e", sessionId: "cao-e2e" });
  });

  it("deleting the last terminal of a session ends the session too: terminal_killed, then session_killed", async () => {
    const created = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "solo",
    });
    await settled();
    const mark = events().length;
    await t.client.deleteTerminal(created.id);
    await settled();
    expect(since(mark).map((e) => e.eventType)).toEqual(["terminal_killed", "session_killed"]);
    expect(await t.server.tmux.hasSession("cao-solo")).toBe(false);
  });
});

describe("failed operations emit nothing and change nothing", () => {
  it("unknown session, duplicate session, unknown provider, unknown profile", async () => {
    const existing = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "taken",
    });
    await settled();
    const mark = events().length;
    const sessionsBefore = await t.server.tmux.listSessions();
    const cases: [string, string, Record<string, string>, number, RegExp][] = [
      [
        "POST",
        "/sessions/cao-nope/terminals",
        { provider: "mock", agent_profile: "developer" },
        404,
        /session cao-nope not found/,
      ],
      [
        "POST",
        "/sessions",
        { provider: "mock", agent_profile: "developer", session_name: "taken" },
        409,
        /already exists/,
      ],
      ["POST", "/sessions", { provider: "nope", agent_profile: "developer" }, 400, /unknown provider "nope"/],
      ["POST", "/sessions", { provider: "mock", agent_profile: "nobody" }, 400, /unknown agent profile "nobody"/],
      [
        "POST",
        "/sessions/cao-taken/terminals",
        { provider: "mock", agent_profile: "nobody" },
        400,
        /unknown agent profile/,
      ],
      [
        "POST",
        "/sessions",
        { provider: "mock", agent_profile: "developer", working_directory: "/no/such/dir" },
        400,
        /does not exist/,
      ],
    ];
    for (const [method, route, query, status, detail] of cases) {
      const response = await t.http(method, route, { query });
      expect(response.status, `${method} ${route} ${JSON.stringify(query)}`).toBe(status);
      expect(response.body.detail).toMatch(detail);
    }
    expect(await t.server.tmux.listSessions()).toEqual(sessionsBefore);
    expect(await t.server.tmux.listWindows("cao-taken")).toHaveLength(1);
    await settled();
    expect(since(mark)).toEqual([]);
    await t.client.deleteSession(existing.session_name);
  });
});
