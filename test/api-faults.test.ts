/**
 * API faults found in review, each named after the fault: session names normalised on some routes only, same-name
 * concurrent creates answering 500, and error answers outside fastify (an oversized request head) not being
 * `{detail}` JSON. Real server, real tmux on a private socket, real HTTP (raw sockets where fetch cannot go).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { parseRawResponse, rawExchange } from "./helpers/raw-http.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let t: TestServer;
let port = 0;

beforeAll(async () => {
  t = await startTestServer();
  port = Number(new URL(t.url).port);
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const newSession = (session_name: string) => ({
  query: { provider: "mock", agent_profile: "developer", session_name },
});

describe("DELETE /sessions/t1 404s although POST accepted t1: one normaliser everywhere", () => {
  it("t1 and cao-t1 name the same session on every :session_name route", async () => {
    const created = await t.http("POST", "/sessions", newSession("t1"));
    expect(created.status).toBe(201);
    expect(created.body.session_name).toBe("cao-t1");

    for (const name of ["t1", "cao-t1"]) {
      const got = await t.http("GET", `/sessions/${name}`);
      expect(got.status, name).toBe(200);
      expect(got.body.session).toEqual({ id: "cao-t1", name: "cao-t1", status: "active" });
      const listed = await t.http("GET", `/sessions/${name}/terminals`);
      expect(listed.status, name).toBe(200);
      expect(listed.body.map((terminal: { id: string }) => terminal.id)).toContain(created.body.id);
    }

    const added = await t.http("POST", "/sessions/t1/terminals", {
      query: { provider: "mock", agent_profile: "reviewer" },
    });
    expect(added.status).toBe(201);
    expect(added.body.session_name).toBe("cao-t1");
    expect(await t.server.tmux.listWindows("cao-t1")).toHaveLength(2);

    expect(await t.http("DELETE", "/sessions/t1")).toEqual({ status: 200, body: { success: true } });
    expect(await t.server.tmux.hasSession("cao-t1")).toBe(false);
    expect((await t.http("GET", "/sessions/t1")).body).toEqual({ detail: "session cao-t1 not found" });
  });

  it("a name that is valid bare but too long with the prefix is the same 400 on POST and on the routes", async () => {
    const name = "n".repeat(62); // 66 characters once prefixed; tmux names are at most 64 here
    const created = await t.http("POST", "/sessions", newSession(name));
    expect(created.status).toBe(400);
    for (const [method, route] of [
      ["GET", `/sessions/${name}`],
      ["DELETE", `/sessions/${name}`],
      ["GET", `/sessions/${name}/terminals`],
    ] as const) {
      const response = await t.http(method, route);
      expect(response.status, `${method} ${route}`).toBe(400);
      expect(response.body.detail).toBe(created.body.detail);
    }
  });

  it("cao shutdown --session t2 kills cao-t2", async () => {
    expect((await t.http("POST", "/sessions", newSession("t2"))).status).toBe(201);
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.resolve("dist/cli/main.js"), "shutdown", "--session", "t2"],
        { env: { ...process.env, CAO_API_HOST: "127.0.0.1", CAO_API_PORT: String(port), CAO_API_TOKEN: "" } },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: "killed cao-t2\n" });
    expect(await t.server.tmux.hasSession("cao-t2")).toBe(false);
  });
});

describe("same-name concurrent creates give 500 'duplicate session' beside the 409s: 409 only", () => {
  it("10 concurrent POST /sessions with one name: exactly one 201, nine 409 {detail}, one tmux session", async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.http("POST", "/sessions", newSession("race"))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409))
      expect(response.body.detail).toMatch(/^session cao-race already exists/);
    expect((await t.server.tmux.listSessions()).filter((name) => name === "cao-race")).toHaveLength(1);
    expect(await t.server.tmux.listWindows("cao-race")).toHaveLength(1);
    expect(t.server.db.terminalsOfSession("cao-race")).toHaveLength(1);
    // The winner is a working session, and the name is free again once it is gone.
    const winner = responses.find((r) => r.status === 201)!.body;
    expect((await t.client.getTerminal(winner.id)).status).toBe("idle");
    await t.client.deleteSession("cao-race");
    expect((await t.http("POST", "/sessions", newSession("race"))).status).toBe(201);
  });

  it("tmux's own 'duplicate session' (another process created it after our check) is a 409 too, and leaves that session alone", async () => {
    // Another client of the same tmux server creates the session in the window between the server's check and tmux.
    await t.server.tmux.newSession({ session: "cao-elsewhere", window: "theirs", cwd: process.cwd(), env: {} });
    const check = vi.spyOn(t.server.tmux, "hasSession").mockResolvedValueOnce(false);
    try {
      const response = await t.http("POST", "/sessions", newSession("elsewhere"));
      expect(response).toEqual({ status: 409, body: { detail: "session cao-elsewhere already exists" } });
    } finally {
      check.mockRestore();
    }
    expect(await t.server.tmux.listWindows("cao-elsewhere")).toEqual(["theirs"]);
    expect(t.server.db.terminalsOfSession("cao-elsewhere")).toEqual([]);
  });
});

describe("a 431 (oversized header) is not {detail} JSON", () => {
  it("a request head over the limit gets 431 with a {detail} JSON body", async () => {
    const head = `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${"a".repeat(600 * 1024)}\r\n\r\n`;
    const response = parseRawResponse(await rawExchange(port, head));
    expect(response.status).toBe(431);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({
      detail: expect.stringMatching(/^the request head is larger than 512 KB/),
    });
  });

  it("a query string over the limit (a huge message the CAO way) gets the same 431 {detail}", async () => {
    const head = `POST /terminals/deadbeef/input?message=${"m".repeat(520 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    const response = parseRawResponse(await rawExchange(port, head));
    expect(response.status).toBe(431);
    expect(JSON.parse(response.body).detail).toMatch(/send long parameters in a JSON body/);
  });

  it("a malformed request head gets 400 {detail}", async () => {
    const response = parseRawResponse(await rawExchange(port, "THIS IS NOT HTTP\r\n\r\n"));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ detail: expect.stringMatching(/^malformed HTTP request/) });
  });

  it("the server keeps answering afterwards", async () => {
    expect((await t.http("GET", "/health")).status).toBe(200);
  });
});
