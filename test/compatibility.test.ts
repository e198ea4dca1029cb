// docs/compatibility.md says, for every route, CLI command, MCP tool and profile field of the Python CAO (v2.4.1),
// whether this server supports it. This test keeps that table honest: every item of the Python CAO's lists
// (test/fixtures/python-cao/) has exactly one row; a route said to be supported is one the running server
// registered, one said not to be is not; every route the server registers is in the table or in the list of routes
// only this server has; the same for the CLI's commands and the MCP server's tools.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes, type RouteEntry } from "../src/api/route-list.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const DOC = path.resolve("docs/compatibility.md");
const FIXTURES = path.resolve("test/fixtures/python-cao");
const CAO = path.resolve("dist/cli/main.js");
const STATUSES = ["supported", "different", "not supported"] as const;
type Status = (typeof STATUSES)[number];

interface Row {
  key: string;
  status: Status;
  how: string;
}

/** The rows of the table under `## <heading>`: `| \`key\` | status | how or why |`. */
function tableUnder(heading: string): Row[] {
  const text = fs.readFileSync(DOC, "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/compatibility.md has no "## ${heading}" section`);
  const end = text.indexOf("\n## ", start + 1);
  const rows: Row[] = [];
  for (const line of text.slice(start, end < 0 ? undefined : end).split("\n")) {
    const cells = /^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!cells) continue;
    const status = cells[2] as Status;
    if (!STATUSES.includes(status)) throw new Error(`row ${cells[1]}: status "${cells[2]}" is not one of ${STATUSES}`);
    rows.push({ key: cells[1]!, status, how: cells[3]! });
  }
  return rows;
}

const fixture = (file: string): string[] =>
  fs
    .readFileSync(path.join(FIXTURES, file), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** `GET /terminals/{terminal_id}` and `GET /terminals/:id` are the same route: parameter names do not matter. */
const routeKey = (method: string, url: string): string =>
  `${method === "WEBSOCKET" ? "GET" : method} ${url.replace(/\{[^}]+\}|:[A-Za-z_]+/g, ":")}`;

function expectOneRowEach(rows: Row[], items: string[], what: string): void {
  const keys = rows.map((row) => row.key);
  const repeated = keys.filter((key, i) => keys.indexOf(key) !== i);
  expect(repeated, `${what} listed twice`).toEqual([]);
  expect(
    items.filter((item) => !keys.includes(item)),
    `${what} of the Python CAO missing from docs/compatibility.md`,
  ).toEqual([]);
  expect(
    keys.filter((key) => !items.includes(key)),
    `${what} in docs/compatibility.md that the Python CAO does not have`,
  ).toEqual([]);
  for (const row of rows.filter((row) => row.status !== "supported"))
    expect(row.how.length, `${row.key}: say how it differs or why it is not supported`).toBeGreaterThan(10);
}

function cao(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CAO, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

let t: TestServer;
let routes: RouteEntry[];

beforeAll(async () => {
  t = await startTestServer();
  routes = registeredRoutes(t.server.app);
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

describe("docs/compatibility.md against the running server", () => {
  it("has one row for each route of the Python CAO, and the server registers exactly the supported ones", () => {
    const rows = tableUnder("HTTP routes");
    expectOneRowEach(rows, fixture("routes.txt"), "routes");
    const registered = new Set(routes.map((route) => routeKey(route.method, route.url)));
    expect(registered.size).toBeGreaterThan(20);
    for (const row of rows) {
      const [method, url] = row.key.split(" ");
      const has = registered.has(routeKey(method!, url!));
      expect(has, `${row.key} is "${row.status}" in docs/compatibility.md`).toBe(row.status !== "not supported");
    }
  });

  it("lists every other route the server registers under routes only here", () => {
    const python = new Set(
      tableUnder("HTTP routes").map((row) => routeKey(...(row.key.split(" ") as [string, string]))),
    );
    const own = tableUnder("Routes only here");
    for (const row of own) expect(row.status, row.key).toBe("supported");
    const ownKeys = new Set(own.map((row) => routeKey(...(row.key.split(" ") as [string, string]))));
    const undocumented = routes
      .map((route) => routeKey(route.method, route.url))
      .filter((key) => !python.has(key) && !ownKeys.has(key));
    expect(undocumented, "routes the server registers that docs/compatibility.md does not list").toEqual([]);
    const gone = [...ownKeys].filter((key) => !routes.some((route) => routeKey(route.method, route.url) === key));
    expect(gone, "routes listed under routes only here that the server does not register").toEqual([]);
  });

  it("has one row for each CLI command of the Python CAO; supported ones answer --help, the others are refused", async () => {
    const rows = tableUnder("Command line");
    expectOneRowEach(rows, fixture("cli.txt"), "CLI commands");
    const results = await Promise.all(
      rows.map(async (row) => ({ row, result: await cao([...row.key.split(" ").slice(1), "--help"]) })),
    );
    for (const { row, result } of results) {
      if (row.status === "not supported") expect(result.code, `${row.key} --help: ${result.stdout}`).not.toBe(0);
      else expect(result.code, `${row.key} --help: ${result.stderr}`).toBe(0);
    }
  });

  it("has one row for each MCP tool of the Python CAO, and cao-mcp-server lists exactly the supported ones", async () => {
    const rows = tableUnder("MCP tools");
    expectOneRowEach(rows, fixture("mcp-tools.txt"), "MCP tools");
    const client = new Client({ name: "compatibility-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.resolve("dist/mcp/main.js")],
        env: { ...(process.env as Record<string, string>), CAO_API_PORT: new URL(t.url).port },
        stderr: "ignore",
      }),
    );
    try {
      const listed = (await client.listTools()).tools.map((tool) => tool.name).sort();
      const supported = rows.filter((row) => row.status !== "not supported").map((row) => row.key);
      expect(listed).toEqual(expect.arrayContaining(supported));
      const own = tableUnder("MCP tools only here").map((row) => row.key);
      expect(listed).toEqual([...supported, ...own].sort());
    } finally {
      await client.close();
    }
  });

  it("has one row for each agent profile field of the Python CAO", () => {
    expectOneRowEach(tableUnder("Agent profile fields"), fixture("profile-fields.txt"), "profile fields");
  });
});
