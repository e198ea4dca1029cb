/**
 * Listening beyond loopback. `cao server` refuses a non-loopback address unless it has both --allow-remote (or
 * CAO_ALLOW_REMOTE=1) and CAO_API_TOKEN, saying exactly what is missing; with both, every request needs the token
 * (a remote client can forge `Host: localhost`, not the token), the real addresses are logged with a WARN, and the
 * CLI, cao-mcp-server and terminals' MCP configuration carry the token. Real `cao server` children, real HTTP over
 * the machine's own network address where it has one, real tmux on private sockets.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaoClient } from "../src/clients/api-client.js";
import { TmuxClient } from "../src/clients/tmux.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { freePort } from "./helpers/ports.js";
import { rawRequest } from "./helpers/raw-http.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const CAO = path.resolve("dist/cli/main.js");
const TOKEN = "c4f1e2d3b4a5968778695a4b3c2d1e0f";
const children: ChildProcess[] = [];
const sockets: string[] = [];
let socketNo = 0;

/** This machine's first non-loopback IPv4 address: how another machine would reach a server bound to 0.0.0.0. */
const lan = Object.values(os.networkInterfaces())
  .flatMap((list) => list ?? [])
  .find((info) => info.family === "IPv4" && !info.internal)?.address;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const socket of sockets) {
    await new TmuxClient({ socketName: socket }).killServer();
    // tmux leaves its socket file behind when it exits on its own (its last session closed).
    fs.rmSync(path.join(process.env.TMUX_TMPDIR ?? "/tmp", `tmux-${process.getuid!()}`, socket), { force: true });
  }
  removeTempDirs();
});

/** The environment of a `cao` child: ours without any CAO_* settings a developer's shell may carry, plus `extra`. */
function caoEnv(extra: Record<string, string>): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CAO_"))) as Record<
    string,
    string
  >;
  const socket = `cao-remote-${process.pid}-${++socketNo}`;
  sockets.push(socket);
  return { ...env, CAO_TMUX_SOCKET: socket, CAO_MOCK_DELAY_MS: "300", ...extra };
}

function cao(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CAO, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("a non-loopback address without --allow-remote and CAO_API_TOKEN: cao server exits 1 saying what is missing", () => {
  const cases: [string, string[], Record<string, string>, RegExp[], RegExp[]][] = [
    [
      "neither flag nor token",
      ["--host", "0.0.0.0"],
      {},
      [/--allow-remote flag \(or CAO_ALLOW_REMOTE=1\)/, /a non-empty CAO_API_TOKEN/],
      [],
    ],
    [
      "--allow-remote without a token",
      ["--host", "0.0.0.0", "--allow-remote"],
      {},
      [/Missing: a non-empty CAO_API_TOKEN/],
      [/--allow-remote flag/],
    ],
    [
      "--allow-remote with an empty token",
      ["--host", "0.0.0.0", "--allow-remote"],
      { CAO_API_TOKEN: "" },
      [/Missing: a non-empty CAO_API_TOKEN/],
      [/--allow-remote flag/],
    ],
    [
      "a token without --allow-remote",
      ["--host", "0.0.0.0"],
      { CAO_API_TOKEN: TOKEN },
      [/Missing: the --allow-remote flag \(or CAO_ALLOW_REMOTE=1\)\.$/m],
      [/CAO_API_TOKEN/],
    ],
    [
      "CAO_API_HOST=:: and CAO_ALLOW_REMOTE=1 without a token",
      [],
      { CAO_API_HOST: "::", CAO_ALLOW_REMOTE: "1" },
      [/refusing to listen on ::/, /Missing: a non-empty CAO_API_TOKEN/],
      [/--allow-remote flag/],
    ],
    [
      "CAO_ALLOW_REMOTE=true is not the opt-in",
      ["--host", "0.0.0.0"],
      { CAO_ALLOW_REMOTE: "true", CAO_API_TOKEN: TOKEN },
      [/Missing: the --allow-remote flag/],
      [],
    ],
    [
      "a token with a space in it",
      ["--host", "0.0.0.0", "--allow-remote"],
      { CAO_API_TOKEN: "two words" },
      [/CAO_API_TOKEN must be printable ASCII without spaces/],
      [],
    ],
    ...(lan
      ? ([
          [
            "this machine's network address, neither flag nor token",
            ["--host", lan],
            {},
            [new RegExp(`refusing to listen on ${lan.replaceAll(".", "\\.")}:`)],
            [],
          ],
        ] as const)
      : []),
  ] as [string, string[], Record<string, string>, RegExp[], RegExp[]][];

  for (const [name, args, env, says, doesNotSay] of cases) {
    it(name, async () => {
      const home = tempDir("cao-remote-refused-");
      const port = await freePort();
      const result = await cao(
        ["server", "--no-watch", ...args],
        caoEnv({ CAO_HOME: home, CAO_API_PORT: String(port), ...env }),
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^cao server: /);
      for (const pattern of says) expect(result.stderr).toMatch(pattern);
      for (const pattern of doesNotSay) expect(result.stderr).not.toMatch(pattern);
      expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      // Refused before anything was opened: no database, nothing listening.
      expect(fs.existsSync(path.join(home, "db"))).toBe(false);
      await expect(new CaoClient({ baseUrl: `http://127.0.0.1:${port}` }).health()).rejects.toThrow(/not running/);
    });
  }
});

describe("cao server --host 0.0.0.0 --allow-remote with CAO_API_TOKEN", () => {
  const home = tempDir("cao-remote-");
  let port = 0;
  let env: Record<string, string> = {};
  let server: ChildProcess;
  let stdout = "";
  const local = () => `http://127.0.0.1:${port}`;
  const withToken = (headers: Record<string, string> = {}) => ({ ...headers, authorization: `Bearer ${TOKEN}` });

  beforeAll(async () => {
    port = await freePort();
    env = caoEnv({ CAO_HOME: home, CAO_API_PORT: String(port), CAO_API_TOKEN: TOKEN });
    server = spawn(process.execPath, [CAO, "server", "--host", "0.0.0.0", "--allow-remote", "--no-watch"], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(server);
    server.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const client = new CaoClient({ baseUrl: local(), token: TOKEN });
    await waitFor(
      async () => (await client.health().catch(() => undefined))?.status === "ok",
      20_000,
      "cao-server to answer",
    );
  });

  it("every request without the right token is 401 {detail}, /health included; with it, 200", async () => {
    const refused: [string, Record<string, string>][] = [
      ["no Authorization", {}],
      ["a wrong token", { authorization: "Bearer wrong-token" }],
      ["the token minus its last character", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ["the token plus a character", { authorization: `Bearer ${TOKEN}0` }],
      ["another scheme", { authorization: `Basic ${Buffer.from(`cao:${TOKEN}`).toString("base64")}` }],
      ["the bare token", { authorization: TOKEN }],
    ];
    for (const route of ["/health", "/sessions", "/plugins"]) {
      for (const [what, headers] of refused) {
        const response = await rawRequest(local(), "GET", route, { headers });
        expect(response.status, `${route}, ${what}`).toBe(401);
        expect(JSON.parse(response.body).detail).toMatch(/^missing or wrong API token/);
        expect(response.headers["www-authenticate"]).toBe('Bearer realm="cao-server"');
      }
      expect((await rawRequest(local(), "GET", route, { headers: withToken() })).status, route).toBe(200);
      expect(
        (await rawRequest(local(), "GET", route, { headers: { authorization: `bearer ${TOKEN}` } })).status,
        `${route}, lower-case scheme`,
      ).toBe(200);
    }
  });

  it("a state-changing request without the token is 401 and changes nothing", async () => {
    const response = await rawRequest(
      local(),
      "POST",
      "/sessions?provider=mock&agent_profile=developer&session_name=no-token",
    );
    expect(response.status).toBe(401);
    expect(await new TmuxClient({ socketName: env.CAO_TMUX_SOCKET! }).hasSession("cao-no-token")).toBe(false);
  });

  it.runIf(lan)(
    "from the network, a forged Host: localhost without the token is refused; with the token it is served",
    async () => {
      const remote = `http://${lan}:${port}`;
      for (const host of ["localhost", `localhost:${port}`, `127.0.0.1:${port}`]) {
        const forged = await rawRequest(remote, "GET", "/sessions", { headers: { host } });
        expect(forged.status, host).toBe(401);
        const posted = await rawRequest(
          remote,
          "POST",
          "/sessions?provider=mock&agent_profile=developer&session_name=forged",
          { headers: { host } },
        );
        expect(posted.status, host).toBe(401);
        expect((await rawRequest(remote, "GET", "/sessions", { headers: withToken({ host }) })).status, host).toBe(200);
      }
      expect(await new TmuxClient({ socketName: env.CAO_TMUX_SOCKET! }).hasSession("cao-forged")).toBe(false);
    },
  );

  it.runIf(lan)(
    "the Host check still holds: the names it was bound to pass, others are 400 even with the token",
    async () => {
      const remote = `http://${lan}:${port}`;
      expect((await rawRequest(remote, "GET", "/health", { headers: withToken() })).status).toBe(200); // Host: <lan>:<port>
      expect((await rawRequest(remote, "GET", "/health", { headers: withToken({ host: os.hostname() }) })).status).toBe(
        200,
      );
      for (const host of ["evil.example", `evil.example:${port}`, `${lan}.evil.example`]) {
        const response = await rawRequest(remote, "GET", "/health", { headers: withToken({ host }) });
        expect(response.status, host).toBe(400);
        expect(JSON.parse(response.body).detail).toMatch(/invalid host header/);
      }
    },
  );

  it("a foreign Origin is still refused with the token (403)", async () => {
    const response = await rawRequest(
      local(),
      "POST",
      "/sessions?provider=mock&agent_profile=developer&session_name=csrf",
      {
        headers: withToken({ origin: "http://evil.example" }),
      },
    );
    expect(response.status).toBe(403);
  });

  it("logs the real listening addresses and a WARN that the API is reachable from the network", () => {
    const lines = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const listening = lines.find((line) => line.msg.startsWith("cao-server listening on "));
    expect(listening?.msg).toContain(`http://127.0.0.1:${port}`);
    if (lan) expect(listening?.msg).toContain(`http://${lan}:${port}`);
    expect(listening?.msg).not.toContain("0.0.0.0");
    const warning = lines.find((line) => line.level === 40 && line.msg.includes("reachable from the network"));
    expect(warning?.msg).toContain(`http://127.0.0.1:${port}`);
    expect(warning?.msg).toContain("Authorization: Bearer");
    expect(stdout).not.toContain(TOKEN); // the token itself is never logged
  });

  it("the cao CLI sends CAO_API_TOKEN; without it, it says why it was refused (exit 1)", async () => {
    const refused = await cao(["plugins", "list"], { ...env, CAO_API_TOKEN: "" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("missing or wrong API token");

    const launched = await cao(
      ["launch", "--agents", "developer", "--provider", "mock", "--session-name", "remote", "--headless"],
      env,
    );
    expect(launched.code, launched.stderr).toBe(0);
    const terminal = JSON.parse(launched.stdout) as { id: string; session_name: string };
    expect(terminal.session_name).toBe("cao-remote");

    // The terminal's cao-mcp-server gets the token and a loopback address (not 0.0.0.0), in a file only we can read.
    const config = path.join(home, "runtime", terminal.id, "mcp.json");
    expect(fs.statSync(config).mode & 0o777).toBe(0o600);
    const mcp = JSON.parse(fs.readFileSync(config, "utf8")).mcpServers["cao-mcp-server"];
    expect(mcp.env).toMatchObject({
      CAO_TERMINAL_ID: terminal.id,
      CAO_API_TOKEN: TOKEN,
      CAO_API_HOST: "127.0.0.1",
      CAO_API_PORT: String(port),
    });

    expect(await cao(["shutdown", "--session", "remote"], env)).toMatchObject({
      code: 0,
      stdout: "killed cao-remote\n",
    });
  });

  it("stops cleanly on SIGTERM", async () => {
    server.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => server.once("exit", (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
  });
});

describe("a server with a token, and agents calling it through cao-mcp-server", () => {
  let t: TestServer;

  beforeAll(async () => {
    // The token reaches the agents only through their MCP configuration: not through this process's environment,
    // which tmux (and so the agent and its cao-mcp-server) would inherit.
    expect(process.env.CAO_API_TOKEN).toBeUndefined();
    t = await startTestServer({ server: { apiToken: TOKEN } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("a mock agent's send_message goes through cao-mcp-server with the token from its MCP configuration", async () => {
    expect((await t.http("GET", "/sessions")).status).toBe(401);
    const client = new CaoClient({ baseUrl: t.url, token: TOKEN });
    const sender = await client.createSession({
      provider: "mock",
      agent_profile: "code_supervisor",
      session_name: "token",
    });
    const receiver = await client.createTerminal("token", { provider: "mock", agent_profile: "developer" });
    await client.sendInput(sender.id, {
      message: `/tool send_message {"receiver_id": "${receiver.id}", "message": "hello with a token"}`,
    });
    await waitFor(
      async () => (await client.getTerminal(sender.id)).status === "completed",
      30_000,
      "the tool call to finish",
    );
    expect((await client.output(sender.id, "last")).output).toMatch(/^send_message result:/);
    const inbox = await client.request<{ message: string; sender_id: string }[]>(
      "GET",
      `/terminals/${receiver.id}/inbox/messages`,
      undefined,
      { limit: 10 },
    );
    expect(inbox).toEqual([
      expect.objectContaining({
        message: `hello with a token\n\n[Message from terminal ${sender.id}. Use send_message MCP tool for any follow-up work.]`,
        sender_id: sender.id,
      }),
    ]);
  });
});
