/**
 * A terminal's window is named `<profile>-<first 4 characters of its id>`, and tmux refuses a `session:name` target
 * that two windows match. Terminal ids are random: forcing two of one session to share their first 4 characters
 * shows that the second terminal gets another id instead of a window name the first one already has.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** The next 4-byte ids CAO draws, in order; real random bytes once they are used up. */
const forced: string[] = [];

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  const randomBytes = (size: number, ...rest: unknown[]) =>
    size === 4 && forced.length > 0
      ? Buffer.from(forced.shift()!, "hex")
      : (actual.randomBytes as (size: number, ...rest: unknown[]) => Buffer)(size, ...rest);
  return { ...actual, default: { ...actual, randomBytes }, randomBytes };
});

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

describe("window names within a session", () => {
  it("a new terminal whose id would repeat a window name of its session gets another id", async () => {
    forced.push("3cd20001");
    const first = await t.http("POST", "/sessions", {
      query: { provider: "mock", agent_profile: "developer", session_name: "names" },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: "3cd20001", name: "developer-3cd2" });

    forced.push("3cd2aaaa", "77770002"); // the first would name its window developer-3cd2 too
    const second = await t.http("POST", "/sessions/cao-names/terminals", {
      query: { provider: "mock", agent_profile: "developer" },
    });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ id: "77770002", name: "developer-7777" });
    expect(forced).toEqual([]);

    expect((await t.server.tmux.listWindows("cao-names")).sort()).toEqual(["developer-3cd2", "developer-7777"]);
    for (const id of ["3cd20001", "77770002"]) expect((await t.http("GET", `/terminals/${id}`)).status).toBe(200);
  });

  it("another profile may use the same 4 characters", async () => {
    forced.push("3cd2bbbb");
    const reviewer = await t.http("POST", "/sessions/cao-names/terminals", {
      query: { provider: "mock", agent_profile: "reviewer" },
    });
    expect(reviewer.status).toBe(201);
    expect(reviewer.body).toMatchObject({ id: "3cd2bbbb", name: "reviewer-3cd2" });
  });
});
