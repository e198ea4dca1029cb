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
import { waitFor } from "./helpers/wait.js";

const CAO = path.resolve("dist/cli/main.js");
const children: ChildProcess[] = [];
const sockets: string[] = [];

afterAll(async () => {
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
