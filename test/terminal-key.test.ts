/**
 * `POST /terminals/:terminal_id/key` (docs/contract.md#terminals) against a real `cao server` child, real tmux and the
 * mock agent: a key reaches the pane as a key (letters typed one by one, Enter submits, `y` answers the agent's
 * question), `key` may come in the query string as the Python CAO's clients send it, a bad key name is 400 and
 * sends nothing, an unknown terminal 404, and keys pass the same pre_send_message interceptors as typed input.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

// Denies the key `n`; turns the key `1` into `2`: what an interceptor does to typed input, it does to keys.
const KEY_GUARD = `
export default {
  intercepts: {
    pre_send_message: (op) =>
      op.message === "n"
        ? { decision: "deny", reason: "no refusals today" }
        : op.message === "1"
          ? { decision: "modify", patch: { message: "2" } }
          : undefined,
  },
};
`;

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({ plugins: { "key-guard.ts": KEY_GUARD } });
}, 60_000);
afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

async function launch(name: string): Promise<string> {
  const { status, body } = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: name,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  await waitForStatus(body.id, "idle");
  return body.id;
}

async function waitForStatus(id: string, status: string): Promise<void> {
  await waitFor(
    async () => (await server.http("GET", `/terminals/${id}`)).body.status === status,
    20_000,
    `terminal ${id} ${status}`,
    100,
  );
}

const screen = async (id: string): Promise<string> =>
  (await server.http("GET", `/terminals/${id}/output?mode=full`)).body.output as string;

const press = (id: string, key: unknown) => server.http("POST", `/terminals/${id}/key`, { key });

describe("POST /terminals/:terminal_id/key", () => {
  it("sends each key as a key: letters typed one by one, then Enter submits them; the query string works too", async () => {
    const id = await launch("keys");
    for (const key of ["h", "i"]) expect(await press(id, key)).toEqual({ status: 200, body: { success: true } });
    await waitFor(async () => (await screen(id)).includes("mock> hi"), 5_000, "hi on the prompt line", 50);
    expect(await screen(id)).not.toContain("Mock answer");
    // The Python CAO's clients put `key` in the query string.
    expect(await server.http("POST", `/terminals/${id}/key?key=Enter`)).toEqual({
      status: 200,
      body: { success: true },
    });
    await waitFor(async () => (await screen(id)).includes("Mock answer (developer): hi"), 10_000, "the answer", 50);
  });

  it("answers the agent's question: y goes on", async () => {
    const id = await launch("question");
    expect((await server.http("POST", `/terminals/${id}/input`, { message: "may I? [[ask]]" })).status).toBe(200);
    await waitForStatus(id, "waiting_user_answer");
    expect((await press(id, "y")).status).toBe(200);
    await waitForStatus(id, "completed");
    expect(await screen(id)).toContain("Mock answer (developer): may I?");
  });

  it("refuses a bad key name with 400 naming key, and sends nothing", async () => {
    const id = await launch("badkeys");
    const before = await screen(id);
    for (const key of ["F5", "Enter; kill-server", "C-", "ab", "", " ", "BSpace", "C-c C-c"]) {
      const answer = await press(id, key);
      expect(answer.status, key).toBe(400);
      expect(answer.body.detail, key).toMatch(/key/);
    }
    expect((await press(id, 42)).body.detail).toMatch(/^key /);
    const missing = await server.http("POST", `/terminals/${id}/key`, {});
    expect(missing).toEqual({ status: 400, body: { detail: "key must have required property 'key'" } });
    expect((await press(id, "F5")).body.detail).toBe(
      'key "F5" is not a tmux key name CAO sends: use Up, Down, Left, Right, Enter, Tab, Escape, Space, one letter or digit, or C-, M- or S- with one letter or digit',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await screen(id)).toBe(before);
  });

  it("404 for an unknown terminal, 400 for a malformed id", async () => {
    const unknown = await press("deadbeef", "Enter");
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain("deadbeef");
    const malformed = await press("nope", "Enter");
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(/terminal_id/);
  });

  it("a key an interceptor changes is sent as changed", async () => {
    const id = await launch("changed");
    expect((await press(id, "1")).status).toBe(200);
    await waitFor(async () => (await screen(id)).includes("mock> 2"), 5_000, "the changed key on the prompt line", 50);
    expect(await screen(id)).not.toContain("mock> 1");
  });

  it("a key an interceptor denies is 403 with its reason and reaches nothing", async () => {
    const id = await launch("denied");
    expect((await server.http("POST", `/terminals/${id}/input`, { message: "may I? [[ask]]" })).status).toBe(200);
    await waitForStatus(id, "waiting_user_answer");
    const denied = await press(id, "n");
    expect(denied).toEqual({ status: 403, body: { detail: "denied by plugin key-guard: no refusals today" } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await server.http("GET", `/terminals/${id}`)).body.status).toBe("waiting_user_answer");
    expect(await screen(id)).not.toContain("action denied by the user");
  });
});
