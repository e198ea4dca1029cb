/**
 * Creating terminals as the Python CAO's users do (docs/orchestration.md): `provider` optional (the profile's, else
 * CAO_DEFAULT_PROVIDER, else kiro_cli), `allowed_tools` as a comma-separated string or an array, `caller_id`, and an
 * `initial_message` typed into the agent once it is ready. Real servers, real tmux, the mock agent.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { changingTmuxCalls } from "./helpers/tmux-calls.js";
import { waitFor } from "./helpers/wait.js";

const profile = (provider: string) => `---\ndescription: runs on ${provider}\nprovider: ${provider}\n---\nYou help.\n`;
const PROFILES = { on_mock: profile("mock"), on_nothing: profile("no_such_cli") };

let plain: TestServer; // no CAO_DEFAULT_PROVIDER: kiro_cli
let mockDefault: TestServer; // CAO_DEFAULT_PROVIDER=mock
let bogusDefault: TestServer; // CAO_DEFAULT_PROVIDER=bogus

beforeAll(async () => {
  [plain, mockDefault, bogusDefault] = await Promise.all([
    startTestServer({ profiles: PROFILES }),
    startTestServer({ profiles: PROFILES, env: { CAO_DEFAULT_PROVIDER: "mock" } }),
    startTestServer({ env: { CAO_DEFAULT_PROVIDER: "bogus" } }),
  ]);
});

afterAll(async () => {
  await Promise.all([plain?.close(), mockDefault?.close(), bogusDefault?.close()]);
  removeTempDirs();
});

/** Sends a request that must be refused with 400, and checks that it changed no tmux state and created no session. */
async function refused(
  t: TestServer,
  method: string,
  route: string,
  options: { query?: Record<string, string>; body?: unknown },
  detail: RegExp,
): Promise<void> {
  const sessionsBefore = await t.client.listSessions();
  const spy = vi.spyOn(t.server.tmux, "run");
  try {
    const response = await t.http(method, route, options);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.detail).toMatch(detail);
    expect(changingTmuxCalls(spy)).toEqual([]);
  } finally {
    spy.mockRestore();
  }
  expect(await t.client.listSessions()).toEqual(sessionsBefore);
}

describe("provider choice", () => {
  it("takes the profile's provider when the request names none", async () => {
    const created = await plain.http("POST", "/sessions", { body: { agent_profile: "on_mock", session_name: "pc1" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: "mock", agent_profile: "on_mock", session_name: "cao-pc1" });
    const added = await plain.http("POST", "/sessions/pc1/terminals", { query: { agent_profile: "on_mock" } });
    expect(added.status).toBe(201);
    expect(added.body.provider).toBe("mock");
    expect((await plain.client.getTerminal(added.body.id)).provider).toBe("mock");
  });

  it("falls back to kiro_cli, as the Python CAO does, when neither request nor profile names one", async () => {
    // kiro-cli is not installed here: the refusal names the provider the server chose.
    await refused(
      plain,
      "POST",
      "/sessions",
      { body: { agent_profile: "developer", session_name: "pc2" } },
      /provider kiro_cli needs `kiro-cli` on PATH/,
    );
  });

  it("falls back to CAO_DEFAULT_PROVIDER when it is set", async () => {
    const created = await mockDefault.http("POST", "/sessions", {
      body: { agent_profile: "developer", session_name: "pc3" },
    });
    expect(created.status).toBe(201);
    expect(created.body.provider).toBe("mock");
    const added = await mockDefault.http("POST", "/sessions/pc3/terminals", { body: { agent_profile: "reviewer" } });
    expect(added.status).toBe(201);
    expect(added.body.provider).toBe("mock");
  });

  it("refuses unknown providers, from the request, the profile or the environment, and changes nothing", async () => {
    await refused(
      mockDefault,
      "POST",
      "/sessions",
      { body: { provider: "nope", agent_profile: "developer", session_name: "pc4" } },
      /unknown provider "nope"; known: mock, /,
    );
    await refused(
      mockDefault,
      "POST",
      "/sessions",
      { body: { agent_profile: "on_nothing", session_name: "pc4" } },
      /agent profile on_nothing names provider "no_such_cli", which is unknown/,
    );
    await refused(
      mockDefault,
      "POST",
      "/sessions/pc3/terminals",
      { body: { agent_profile: "on_nothing" } },
      /agent profile on_nothing names provider "no_such_cli"/,
    );
    await refused(
      bogusDefault,
      "POST",
      "/sessions",
      { body: { agent_profile: "developer", session_name: "pc4" } },
      /the default provider \(CAO_DEFAULT_PROVIDER\) "bogus" is unknown/,
    );
    expect(bogusDefault.logs.warnings().map((line) => line.msg)).toContainEqual(
      expect.stringMatching(/^CAO_DEFAULT_PROVIDER "bogus" is not a known provider/),
    );
    // A request that names a provider does not depend on the default.
    const named = await bogusDefault.http("POST", "/sessions", {
      body: { provider: "mock", agent_profile: "developer", session_name: "pc5" },
    });
    expect(named.status).toBe(201);
  });
});

describe("allowed_tools, caller_id and initial_message", () => {
  it("stores allowed_tools given as the Python CAO's comma-separated query string or as a JSON array", async () => {
    const fromQuery = await mockDefault.http("POST", "/sessions", {
      query: {
        agent_profile: "developer",
        session_name: "at1",
        allowed_tools: "fs_read, execute_bash,@cao-mcp-server",
      },
    });
    expect(fromQuery.status).toBe(201);
    expect(fromQuery.body.allowed_tools).toEqual(["fs_read", "execute_bash", "@cao-mcp-server"]);
    expect((await mockDefault.client.getTerminal(fromQuery.body.id)).allowed_tools).toEqual([
      "fs_read",
      "execute_bash",
      "@cao-mcp-server",
    ]);
    const fromJson = await mockDefault.http("POST", "/sessions/at1/terminals", {
      body: { agent_profile: "reviewer", allowed_tools: ["*"] },
    });
    expect(fromJson.body.allowed_tools).toEqual(["*"]);
    const none = await mockDefault.http("POST", "/sessions/at1/terminals", { body: { agent_profile: "reviewer" } });
    expect(none.body).toMatchObject({ allowed_tools: null, caller_id: null });
    // Listed with the session too.
    const listed = await mockDefault.client.request<{ id: string; allowed_tools: string[] | null }[]>(
      "GET",
      "/sessions/at1/terminals",
    );
    expect(listed.map((terminal) => terminal.allowed_tools)).toEqual([
      ["fs_read", "execute_bash", "@cao-mcp-server"],
      ["*"],
      null,
    ]);
  });

  it("refuses bad allowed_tools, caller_id and initial_message with a 400 naming the field", async () => {
    const cases: [string, string, { query?: Record<string, string>; body?: unknown }, RegExp][] = [
      ["POST", "/sessions", { body: { agent_profile: "developer", allowed_tools: "" } }, /^allowed_tools must name/],
      ["POST", "/sessions", { body: { agent_profile: "developer", allowed_tools: "a,,b" } }, /^allowed_tools must/],
      ["POST", "/sessions", { body: { agent_profile: "developer", allowed_tools: [] } }, /^allowed_tools must/],
      ["POST", "/sessions", { body: { agent_profile: "developer", allowed_tools: [1] } }, /^allowed_tools entries/],
      ["POST", "/sessions", { body: { agent_profile: "developer", allowed_tools: 7 } }, /^allowed_tools must be/],
      [
        "POST",
        "/sessions",
        { body: { agent_profile: "developer", allowed_tools: ["a\u0007"] } },
        /^allowed_tools entry/,
      ],
      ["POST", "/sessions", { body: { agent_profile: "developer", initial_message: "" } }, /^initial_message /],
      ["POST", "/sessions", { body: { agent_profile: "developer", initial_message: "\u0007" } }, /no text/],
      ["POST", "/sessions/at1/terminals", { body: { agent_profile: "developer", caller_id: "deadbeef" } }, /caller_id/],
      ["POST", "/sessions/at1/terminals", { body: { agent_profile: "developer", caller_id: "NOPE" } }, /^caller_id /],
      ["POST", "/sessions/at1/terminals", { body: { agent_profile: "developer", initial_message: "" } }, /initial_/],
    ];
    for (const [method, route, options, detail] of cases) await refused(mockDefault, method, route, options, detail);
  });

  it("records caller_id on a terminal created for a caller and returns it", async () => {
    const [caller] = (await mockDefault.client.request<{ terminals: { id: string }[] }>("GET", "/sessions/at1"))
      .terminals;
    const worker = await mockDefault.client.createTerminal("at1", {
      agent_profile: "developer",
      caller_id: caller!.id,
    });
    expect(worker.caller_id).toBe(caller!.id);
    expect((await mockDefault.client.getTerminal(worker.id)).caller_id).toBe(caller!.id);
  });

  it("types initial_message into the agent once it is ready, on both routes", async () => {
    const session = await mockDefault.client.createSession({
      agent_profile: "developer",
      session_name: "im1",
      initial_message: "plan the release",
    });
    const second = await mockDefault.client.createTerminal("im1", {
      agent_profile: "reviewer",
      initial_message: "check the plan",
    });
    for (const [id, answer] of [
      [session.id, "Mock answer (developer): plan the release"],
      [second.id, "Mock answer (reviewer): check the plan"],
    ] as const) {
      await waitFor(
        async () => (await mockDefault.client.output(id, "full")).output.includes(answer),
        15_000,
        `the answer of ${id} to its initial message`,
      );
    }
  });
});
