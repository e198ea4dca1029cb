/**
 * The `cao` command as users run it: real processes of dist/cli/main.js, a real `cao server` child, real tmux.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TmuxClient } from "../src/clients/tmux.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { freePort } from "./helpers/ports.js";
import { startServerProcess, stopServerProcesses } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const CAO = path.resolve("dist/cli/main.js");
const children: ChildProcess[] = [];
const sockets: string[] = [];

afterAll(async () => {
  await stopServerProcesses();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const socket of sockets) await new TmuxClient({ socketName: socket }).killServer();
  removeTempDirs();
});

function cao(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CAO, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("help and exit codes", () => {
  it("prints help for cao and every command", async () => {
    const top = await cao(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["server", "launch", "shutdown", "mcp-server", "plugins list"])
      expect(top.stdout).toContain(command);
    for (const command of ["server", "launch", "shutdown", "plugins"]) {
      const help = await cao([command, "--help"]);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^usage: cao ${command}`));
    }
  });

  it("exits 2 on usage errors, with a message", async () => {
    expect(await cao([])).toMatchObject({ code: 2 });
    const unknown = await cao(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(await cao(["launch"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--agents <profile> is required"),
    });
    expect(await cao(["shutdown"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("exactly one of --all or --session"),
    });
    expect(await cao(["server", "--port", "http"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--port must be a port number"),
    });
    expect(await cao(["launch", "--agents", "developer", "--bogus"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--bogus"),
    });
  });

  it("says clearly when the server is not running, exit 1", async () => {
    const port = String(await freePort());
    for (const args of [
      ["plugins", "list"],
      ["launch", "--agents", "developer", "--headless"],
      ["shutdown", "--all"],
    ]) {
      const result = await cao(args, { CAO_API_PORT: port });
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`cao-server is not running at http://127.0.0.1:${port}`);
    }
  });
});

describe("against a running cao server", () => {
  it("launch --headless, plugins list, shutdown --all; SIGTERM stops it cleanly after plugins are torn down", async () => {
    const home = tempDir("cao-cli-");
    const marks = path.join(home, "marks.txt");
    writeFile(
      path.join(home, "plugins", "slow-start.mjs"),
      `import fs from "node:fs";
       export default { name: "slow-start",
         async setup() { await new Promise((r) => setTimeout(r, 800)); fs.appendFileSync(${JSON.stringify(marks)}, "setup " + Date.now() + "\\n"); },
         async teardown() { fs.appendFileSync(${JSON.stringify(marks)}, "teardown " + Date.now() + "\\n"); },
         hooks: { session_created() {} } };`,
    );
    const port = String(await freePort());
    const socket = `cao-cli-${process.pid}`;
    sockets.push(socket);
    const env = { CAO_HOME: home, CAO_API_PORT: port, CAO_TMUX_SOCKET: socket, CAO_MOCK_DELAY_MS: "200" };
    const server = spawn(process.execPath, [CAO, "server"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(server);
    let firstAnswer = 0;
    await waitFor(
      async () => {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) firstAnswer = Date.now();
        return ok;
      },
      20_000,
      "the server",
      5,
    );
    const setupAt = Number(/setup (\d+)/.exec(fs.readFileSync(marks, "utf8"))![1]);
    expect(firstAnswer).toBeGreaterThanOrEqual(setupAt); // setup() finished before the first request was served

    const launched = await cao(
      ["launch", "--agents", "developer", "--provider", "mock", "--headless", "--session-name", "cli"],
      env,
    );
    expect(launched.code, launched.stderr).toBe(0);
    expect(JSON.parse(launched.stdout)).toMatchObject({
      session_name: "cao-cli",
      agent_profile: "developer",
      provider: "mock",
      status: "idle",
    });

    const table = await cao(["plugins", "list"], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^NAME\s+SOURCE\s+VERSION\s+STATUS\s+ISOLATION\s+HOOKS\s+PATH \/ ERROR$/,
    );
    expect(table.stdout).toMatch(/slow-start\s+dir\s+active\s+inline\s+session_created/);
    const json = await cao(["plugins", "list", "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: "slow-start", source: "dir", status: "active", hooks: ["session_created"] }),
    ]);

    const shutdown = await cao(["shutdown", "--all"], env);
    expect(shutdown).toMatchObject({ code: 0, stdout: "killed cao-cli\n" });
    expect(await new TmuxClient({ socketName: socket }).hasSession("cao-cli")).toBe(false);

    server.kill("SIGTERM");
    const code = await new Promise((resolve) => server.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(fs.readFileSync(marks, "utf8")).toMatch(/^setup \d+\nteardown \d+\n$/);
  }, 90_000); // four CLI processes and an agent start one after another: slow on a loaded two-core machine

  it("SIGINT stops it cleanly too", async () => {
    const home = tempDir("cao-cli-");
    const marks = path.join(home, "marks.txt");
    writeFile(
      path.join(home, "plugins", "mark.mjs"),
      `import fs from "node:fs"; export default { async teardown() { fs.writeFileSync(${JSON.stringify(marks)}, "teardown"); }, hooks: {} };`,
    );
    const port = String(await freePort());
    const server = spawn(process.execPath, [CAO, "server", "--no-watch"], {
      env: { ...process.env, CAO_HOME: home, CAO_API_PORT: port, CAO_TMUX_SOCKET: `cao-cli2-${process.pid}` },
      stdio: "ignore",
    });
    children.push(server);
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      20_000,
      "the server",
    );
    server.kill("SIGINT");
    expect(await new Promise((resolve) => server.once("exit", (c) => resolve(c)))).toBe(0);
    expect(fs.readFileSync(marks, "utf8")).toBe("teardown");
  });
});

describe("cao events and what agents report through their hooks", () => {
  it("prints each agent_* event as its terminal and one sentence: the prompt, the tool and what it ran, the outcome, the tokens", async () => {
    // The mock agent runs the hook settings its launch wrote, as Claude Code does: each turn reaches the server's
    // real route with the terminal's secret.
    const server = await startServerProcess({ env: { CAO_MOCK_DELAY_MS: "50" } });
    const { status, body: terminal } = await server.http("POST", "/sessions", {
      provider: "mock",
      agent_profile: "developer",
      session_name: "hooked",
    });
    expect(status, JSON.stringify(terminal)).toBe(201);
    const history = async (types: string) =>
      (await server.http("GET", `/events/history?types=${types}&limit=1000`)).body as Record<string, any>[];
    const turns = async (count: number) =>
      waitFor(async () => (await history("agent_turn_ended")).length >= count, 20_000, `${count} agent turns`, 100);
    const type = async (message: string) => {
      const typed = await server.http("POST", `/terminals/${terminal.id}/input`, { message });
      expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    };
    // An escape sequence in a tool's output reaches the terminal as text, never as a command to it.
    await type("/sh printf 'x-%d\\n\\033[31mred' 42");
    await turns(1);
    await type("/sh ls /no/such/dir");
    await turns(2);
    await type("may I? [[ask]]");
    await waitFor(async () => (await history("agent_notification")).length === 1, 20_000, "the notification", 100);

    const env = { CAO_API_PORT: String(server.port) };
    const types = "agent_turn_started,agent_tool_started,agent_tool_finished,agent_turn_ended,agent_notification";
    const printed = await cao(["events", "--type", types], env);
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.trimEnd().split("\n");
    expect(lines.map((line) => line.split(" ")[2])).toEqual([
      "agent_turn_started",
      "agent_tool_started",
      "agent_tool_finished",
      "agent_turn_ended",
      "agent_turn_started",
      "agent_tool_started",
      "agent_tool_finished",
      "agent_turn_ended",
      "agent_turn_started",
      "agent_notification",
    ]);
    for (const line of lines) expect(line).toMatch(new RegExp(`^#\\d+ \\S+Z agent_\\w+ cao-hooked ${terminal.id} \\S`));
    const said = lines.map((line) => line.replace(/^#\d+ \S+Z \S+ cao-hooked \S+ /, ""));
    const ended = await history("agent_turn_ended");
    const tokens = (i: number) => `tokens: ${ended[i]!.usage.input_tokens} in, ${ended[i]!.usage.output_tokens} out`;
    expect(said[0]).toBe("prompt: /sh printf 'x-%d\\n\\033[31mred' 42");
    expect(said[1]).toBe("Bash: printf 'x-%d\\n\\033[31mred' 42");
    expect(said[2]).toMatch(/^Bash ok in \d+ ms: x-42 \uFFFD\[31mred$/);
    expect(said[3]).toBe(`turn ended (${tokens(0)}): ran: printf 'x-%d\\n\\033[31mred' 42 x-42 \uFFFD[31mred`);
    expect(said[5]).toBe("Bash: ls /no/such/dir");
    expect(said[6]).toMatch(/^Bash failed in \d+ ms: exit 2: ls: cannot access '\/no\/such\/dir': No such file/);
    expect(said[7]).toMatch(new RegExp(`^turn ended \\(${tokens(1)}\\): ran: ls /no/such/dir`));
    expect(said[8]).toBe("prompt: may I? [[ask]]");
    expect(said[9]).toBe("permission_prompt: The mock agent asks to go on");

    // --json is the event as the API sends it, unchanged.
    const json = await cao(["events", "--json", "--type", "agent_tool_started"], env);
    expect(
      json.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).tool_input),
    ).toEqual([{ command: "printf 'x-%d\\n\\033[31mred' 42" }, { command: "ls /no/such/dir" }]);
    await server.stop();
  }, 90_000);
});
