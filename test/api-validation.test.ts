/**
 * Bad input, table-driven over every route: malformed input is a 400 that never reaches tmux, unknown ids are
 * 404, and a non-loopback Host header is refused. Runs against a real listening server with real tmux.
 */
import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { MAX_MESSAGE_LENGTH } from "../src/util/validate.js";
import { changingTmuxCalls } from "./helpers/tmux-calls.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let t: TestServer;
let live = ""; // a real terminal, for the routes that need one
let tmuxCalls: MockInstance;

beforeAll(async () => {
  t = await startTestServer();
  live = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "valid" })).id;
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

beforeEach(() => {
  tmuxCalls?.mockRestore();
  tmuxCalls = vi.spyOn(t.server.tmux, "run");
});

const BAD_NAMES = ["a;b", "a:b", "a.b", "a$b", "a'b", 'a"b', "a\\b", "a b", "a\nb", "a`b", "x".repeat(65)];
const BAD_IDS = ["ABCDEF12", "1234567", "123456789", "zzzzzzzz", "1234-678", "12 45678"];
const UNKNOWN_ID = "deadbeef";

/** Every route that takes a terminal id, with what it needs besides the id. */
const TERMINAL_ROUTES: [string, (id: string) => string, { query?: Record<string, string>; body?: unknown }][] = [
  ["GET", (id) => `/terminals/${id}`, {}],
  ["GET", (id) => `/terminals/${id}/working-directory`, {}],
  ["POST", (id) => `/terminals/${id}/input`, { query: { message: "hi" } }],
  ["GET", (id) => `/terminals/${id}/output`, { query: { mode: "full" } }],
  ["POST", (id) => `/terminals/${id}/exit`, {}],
  ["DELETE", (id) => `/terminals/${id}`, {}],
  ["POST", (id) => `/terminals/${id}/inbox/messages`, { query: { sender_id: "0000aaaa", message: "hi" } }],
  ["GET", (id) => `/terminals/${id}/inbox/messages`, {}],
];

const SESSION_ROUTES: [string, (name: string) => string, { query?: Record<string, string> }][] = [
  ["GET", (n) => `/sessions/${n}`, {}],
  ["DELETE", (n) => `/sessions/${n}`, {}],
  ["GET", (n) => `/sessions/${n}/terminals`, {}],
  ["POST", (n) => `/sessions/${n}/terminals`, { query: { provider: "mock", agent_profile: "developer" } }],
];

describe("malformed ids and names are 400 without any tmux call", () => {
  for (const [method, route, options] of TERMINAL_ROUTES) {
    it(`${method} ${route(":terminal_id")} rejects malformed terminal ids`, async () => {
      for (const id of BAD_IDS) {
        const response = await t.http(method, route(encodeURIComponent(id)), options);
        expect(response.status, `${method} ${id}`).toBe(400);
        expect(response.body.detail).toMatch(/terminal_id|receiver_id/);
      }
      expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    });
  }

  for (const [method, route, options] of SESSION_ROUTES) {
    it(`${method} ${route(":session_name")} rejects session names with ; : . $ ' " \\ space newline`, async () => {
      for (const name of BAD_NAMES) {
        const response = await t.http(method, route(encodeURIComponent(name)), options);
        expect(response.status, `${method} ${JSON.stringify(name)}`).toBe(400);
        expect(response.body.detail).toMatch(/session_name/);
      }
      expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    });
  }

  it("POST /sessions rejects bad session names, missing and malformed parameters", async () => {
    for (const name of BAD_NAMES) {
      const response = await t.http("POST", "/sessions", {
        query: { provider: "mock", agent_profile: "developer", session_name: name },
      });
      expect(response.status, JSON.stringify(name)).toBe(400);
    }
    const cases: Record<string, string>[] = [
      { agent_profile: "developer" },
      { provider: "mock" },
      { provider: "mock", agent_profile: "../etc/passwd" },
      { provider: "mock", agent_profile: "a b" },
    ];
    for (const query of cases)
      expect((await t.http("POST", "/sessions", { query })).status, JSON.stringify(query)).toBe(400);
    expect((await t.http("POST", "/sessions", { body: ["not", "an", "object"] })).status).toBe(400);
    expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
  });
});

describe("unknown ids are 404", () => {
  for (const [method, route, options] of TERMINAL_ROUTES) {
    it(`${method} ${route(UNKNOWN_ID)}`, async () => {
      const response = await t.http(method, route(UNKNOWN_ID), options);
      expect(response.status).toBe(404);
      expect(response.body.detail).toBe(`terminal ${UNKNOWN_ID} not found`);
    });
  }

  for (const [method, route, options] of SESSION_ROUTES) {
    it(`${method} ${route("cao-unknown")}`, async () => {
      const response = await t.http(method, route("cao-unknown"), options);
      expect(response.status).toBe(404);
      expect(response.body.detail).toBe("session cao-unknown not found");
    });
  }

  it("an unknown route is a 404 with a detail", async () => {
    expect(await t.http("GET", "/nope")).toEqual({ status: 404, body: { detail: "no route GET /nope" } });
  });
});

describe("message and parameter validation on a live terminal", () => {
  const tooLong = "x".repeat(MAX_MESSAGE_LENGTH + 1);

  it("input: empty, blank and oversized messages, bad sender ids and orchestration types are 400; nothing is typed", async () => {
    const before = (await t.client.output(live, "full")).output;
    tmuxCalls.mockClear();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ message: "" }, /message/],
      [{}, /message/],
      [{ message: tooLong }, /message/],
      [{ message: "hi", sender_id: "nothex!!", orchestration_type: "handoff" }, /sender_id/],
      [{ message: "hi", sender_id: "0000aaaa", orchestration_type: "broadcast" }, /orchestration_type/],
      [{ message: 42 }, /message/],
    ];
    for (const [body, detail] of cases) {
      const response = await t.http("POST", `/terminals/${live}/input`, { body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.body.detail).toMatch(detail);
    }
    expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    // Checks that need the terminal record (no tmux): blank text, sender without orchestration type.
    expect((await t.http("POST", `/terminals/${live}/input`, { query: { message: "   " } })).status).toBe(400);
    expect(
      (await t.http("POST", `/terminals/${live}/input`, { query: { message: "hi", sender_id: "0000aaaa" } })).status,
    ).toBe(400);
    expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    expect((await t.client.output(live, "full")).output).toBe(before);
  });

  it("a message of exactly the limit is accepted through the query string, as CAO's clients send it", async () => {
    const atLimit = "y".repeat(MAX_MESSAGE_LENGTH);
    const response = await t.http("POST", `/terminals/${live}/inbox/messages`, {
      query: { sender_id: "0000aaaa", message: atLimit },
    });
    expect(response.status).toBe(200);
    const stored = await t.http("GET", `/terminals/${live}/inbox/messages`, { query: { limit: "1" } });
    expect(stored.body[0].message).toHaveLength(MAX_MESSAGE_LENGTH);
  });

  it("inbox: empty and oversized messages, bad senders, bad limit and status are 400 and store nothing", async () => {
    const count = async () =>
      (await t.http("GET", `/terminals/${live}/inbox/messages`, { query: { limit: "1000" } })).body.length;
    const before = await count();
    const posts: Record<string, unknown>[] = [
      { sender_id: "0000aaaa", message: "" },
      { sender_id: "0000aaaa", message: "   " },
      { sender_id: "0000aaaa", message: tooLong },
      { sender_id: "BAD", message: "hi" },
      { message: "hi" },
    ];
    for (const body of posts)
      expect(
        (await t.http("POST", `/terminals/${live}/inbox/messages`, { body })).status,
        JSON.stringify(body).slice(0, 60),
      ).toBe(400);
    const badQueries: Record<string, string>[] = [
      { limit: "0" },
      { limit: "abc" },
      { limit: "1001" },
      { status: "bogus" },
    ];
    for (const query of badQueries) {
      expect((await t.http("GET", `/terminals/${live}/inbox/messages`, { query })).status, JSON.stringify(query)).toBe(
        400,
      );
    }
    expect(await count()).toBe(before);
  });

  it("output: an unknown mode is 400", async () => {
    const response = await t.http("GET", `/terminals/${live}/output`, { query: { mode: "everything" } });
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/mode/);
  });
});

describe("DNS-rebinding protection", () => {
  function withHost(host: string): Promise<{ status: number; body: string }> {
    const url = new URL(t.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: "/health", headers: { host } },
        (response) => {
          let body = "";
          response.on("data", (c: Buffer) => (body += c.toString()));
          response.on("end", () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on("error", reject);
      request.end();
    });
  }

  it("refuses a request whose Host is not a loopback name, and serves loopback names", async () => {
    for (const host of ["evil.example.com", "evil.example.com:9889", "192.168.1.10", "127.0.0.1.evil.example"]) {
      const response = await withHost(host);
      expect(response.status, host).toBe(400);
      expect(JSON.parse(response.body).detail).toMatch(/invalid host header/);
    }
    for (const host of ["localhost", `127.0.0.1:${new URL(t.url).port}`, "[::1]:9889", "LOCALHOST"]) {
      expect((await withHost(host)).status, host).toBe(200);
    }
  });
});
