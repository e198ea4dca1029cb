/**
 * `cao info` as the Python CAO's users run it: from a plain shell, and from inside an agent's terminal (the mock
 * agent's shell tool runs it in the agent's own pane, with the variables CAO gives that window). Real processes of
 * dist/cli/main.js, a real `cao server` child, real tmux.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import {
  CAO_MAIN,
  runCao,
  startServerProcess,
  stopServerProcesses,
  type CaoRun,
  type ServerProcess,
} from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

function info(env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const name of ["TMUX", "CAO_TERMINAL_ID", "CAO_SESSION_NAME"]) delete base[name];
  return runCao(["info"], { env: { ...base, ...env } });
}

describe("cao info", () => {
  it("outside any CAO session: the database path, and says so", async () => {
    const run = await info({ CAO_HOME: server.home, CAO_API_PORT: String(server.port) });
    expect(run).toEqual({
      code: 0,
      stdout: `Database path: ${path.join(server.home, "db", "cao.db")}\nNot currently in a CAO session.\n`,
      stderr: "",
    });
  });

  it("inside an agent's terminal: its session and how many terminals it has", async () => {
    const first = await server.client.createSession({ provider: "mock", agent_profile: "developer" });
    await server.client.createTerminal(first.session_name, { provider: "mock", agent_profile: "reviewer" });
    // The agent's own shell tool runs `cao info` in its pane: TMUX and CAO_TERMINAL_ID are the window's own.
    await server.client.sendInput(first.id, {
      message: `/sh CAO_HOME=${server.home} CAO_API_PORT=${server.port} ${process.execPath} ${CAO_MAIN} info`,
    });
    await waitFor(
      async () => (await server.client.output(first.id, "full")).output.includes("Active terminals:"),
      30_000,
      "cao info's lines on the agent's screen",
    );
    const screen = (await server.client.output(first.id, "full")).output;
    expect(screen).toContain(`Session ID: ${first.session_name}`);
    expect(screen).toContain("Active terminals: 2");
  });

  it("a session the server does not know, or a server that is not there: the Python CAO's warnings", async () => {
    const unknown = await info({ CAO_SESSION_NAME: "cao-nosuch", CAO_API_PORT: String(server.port) });
    expect(unknown.stdout).toContain("Session ID: cao-nosuch (Warning: Session not found in CAO server)\n");
    const gone = await info({ CAO_SESSION_NAME: "cao-nosuch", CAO_API_PORT: "1" });
    expect(gone.stdout).toContain("Session ID: cao-nosuch (Warning: Could not connect to CAO server)\n");
    expect(gone.code).toBe(0);
  });
});
