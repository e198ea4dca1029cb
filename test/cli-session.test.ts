/**
 * `cao launch "<task>"` and `cao session list|status|send` as users script them: real processes of
 * dist/cli/main.js against a real `cao server` child (CAO_DEFAULT_PROVIDER=mock), real tmux, the mock agent.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import {
  CAO_MAIN,
  runCao,
  startServerProcess,
  stopServerProcesses,
  type CaoRun,
  type ServerProcess,
} from "./helpers/server-process.js";

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({ env: { CAO_DEFAULT_PROVIDER: "mock" } });
});

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

/** Runs `cao …` against the test server; stdin is not a terminal, as in a script. */
function cao(args: string[]): Promise<CaoRun> {
  return runCao(args, { env: { ...process.env, CAO_API_PORT: String(server.port) } });
}

describe("cao launch", () => {
  it('sends "<task>" as the initial message and, headless, prints the agent\'s answer', async () => {
    const dir = tempDir("cao-launch-");
    const run = await cao([
      "launch",
      "--agents",
      "developer",
      "--headless",
      "--session-name",
      "task",
      "--working-directory",
      dir,
      "write the changelog",
    ]);
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe("Mock answer (developer): write the changelog\n(19 characters, 1 line received)\n");
    const [terminal] = await server.client.sessionTerminals("task");
    // No --provider: the server's CAO_DEFAULT_PROVIDER chose; no prompt without a TTY; no tool list asked for.
    expect(terminal).toMatchObject({ provider: "mock", agent_profile: "developer", allowed_tools: null });
    expect(await server.client.workingDirectory(terminal!.id)).toEqual({ working_directory: dir });
  });

  it("--async returns once the task is typed; --allowed-tools and --yolo reach the terminal", async () => {
    const run = await cao([
      "launch",
      "--agents",
      "reviewer",
      "--headless",
      "--async",
      "--session-name",
      "bg",
      "--allowed-tools",
      "fs_read",
      "--allowed-tools",
      "@cao-mcp-server",
      "[[delay=3000]] review",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Message sent to reviewer-[0-9a-f]{4} \(terminal [0-9a-f]{8}, session cao-bg\)/);
    const [terminal] = await server.client.sessionTerminals("bg");
    expect(terminal).toMatchObject({ status: "processing", allowed_tools: ["fs_read", "@cao-mcp-server"] });

    const yolo = await cao(["launch", "--agents", "developer", "--headless", "--session-name", "yolo", "--yolo"]);
    expect(yolo.code, yolo.stderr).toBe(0);
    expect(yolo.stderr).toMatch(/^warning: --yolo: agent 'developer' launches UNRESTRICTED in .*\n$/);
    expect(JSON.parse(yolo.stdout)).toMatchObject({ session_name: "cao-yolo", allowed_tools: ["*"] });
  });

  it("refuses bad flags with exit 2 and server refusals with exit 1, creating nothing", async () => {
    const before = await server.client.listSessions();
    const cases: [string[], number, RegExp][] = [
      [["launch", "--agents", "developer", "--headless", "--env", "A=1"], 2, /Unknown option '--env'/],
      [["launch", "--agents", "developer", "a", "b"], 2, /one task at most/],
      [["launch", "--agents", "developer", "--headless", "  "], 2, /task must not be empty/],
      [["launch", "--agents", "developer", "--yolo", "--allowed-tools", "x"], 2, /exclude each other/],
      [["launch", "--agents", "developer", "--async"], 2, /--async only applies/],
      [["launch", "--agents", "developer", "--headless", "--provider", "nope"], 1, /unknown provider "nope"/],
      [["launch", "--agents", "nobody", "--headless"], 1, /unknown agent profile "nobody"/],
    ];
    for (const [args, code, stderr] of cases) {
      const run = await cao(args);
      expect(run.code, args.join(" ")).toBe(code);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(stderr);
    }
    expect(await server.client.listSessions()).toEqual(before);
  }, 90_000);
});

/**
 * Runs `cao …` on a real pseudo-terminal (util-linux `script`), typing `answer` once the prompt is up: what a user at
 * a terminal sees. Output is the terminal's (stdout and stderr together).
 */
function caoOnTerminal(args: string[], answer: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [process.execPath, CAO_MAIN, ...args].map((word) => `'${word}'`).join(" ");
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
      env: { ...process.env, CAO_API_PORT: String(server.port) },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Proceed? [Y/n]") && answer) {
        child.stdin.write(`${answer}\n`);
        answer = "";
      }
    });
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

describe("cao launch at a terminal", () => {
  it("asks before launching without --yolo or --auto-approve; no cancels, yes launches", async () => {
    const before = await server.client.listSessions();
    const no = await caoOnTerminal(["launch", "--agents", "developer", "--headless", "--session-name", "asked"], "n");
    expect(no.output).toContain("Agent 'developer' launching:");
    expect(no.output).toContain("To skip this prompt next time, relaunch with --auto-approve");
    expect(no.output).toContain("cao launch: launch cancelled");
    expect(no.code).toBe(1);
    expect(await server.client.listSessions()).toEqual(before);

    const yes = await caoOnTerminal(
      ["launch", "--agents", "developer", "--headless", "--session-name", "asked", "--allowed-tools", "fs_read"],
      "y",
    );
    expect(yes.code, yes.output).toBe(0);
    expect(yes.output).toContain("Allowed:   fs_read");
    expect((await server.client.sessionTerminals("asked"))[0]).toMatchObject({ allowed_tools: ["fs_read"] });

    // --auto-approve does not ask (the command would wait for an answer that never comes).
    const approved = await caoOnTerminal(
      ["launch", "--agents", "developer", "--headless", "--session-name", "approved", "--auto-approve"],
      "",
    );
    expect(approved.code, approved.output).toBe(0);
    expect(approved.output).not.toContain("Proceed?");
  }, 90_000);
});

describe("cao session", () => {
  it("list, status and send, as table and as JSON", async () => {
    const conductor = await server.client.createSession({ agent_profile: "code_supervisor", session_name: "work" });
    const worker = await server.client.createTerminal("work", { agent_profile: "developer" });

    const listed = await cao(["session", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { session: string }[]).find((row) => row.session === "cao-work")).toEqual({
      session: "cao-work",
      conductor: { id: conductor.id, agent_profile: "code_supervisor", provider: "mock", status: "idle" },
      terminal_count: 2,
    });
    const table = (await cao(["session", "list"])).stdout.split("\n");
    expect(table[0]).toMatch(/^SESSION\s+CONDUCTOR\s+STATUS\s+TERMINALS\s*$/);
    expect(table).toContainEqual(expect.stringMatching(new RegExp(`^cao-work\\s+${conductor.id}\\s+idle\\s+2\\s*$`)));

    const sent = await cao(["session", "send", "work", "plan the sprint"]);
    expect(sent, sent.stderr).toMatchObject({ code: 0 });
    expect(sent.stdout).toBe("Mock answer (code_supervisor): plan the sprint\n(15 characters, 1 line received)\n");

    const status = await cao(["session", "status", "cao-work", "--workers", "--json"]);
    expect(JSON.parse(status.stdout)).toEqual({
      session: "cao-work",
      conductor: {
        id: conductor.id,
        agent_profile: "code_supervisor",
        provider: "mock",
        status: "completed",
        last_output: "Mock answer (code_supervisor): plan the sprint\n(15 characters, 1 line received)",
      },
      workers: [{ id: worker.id, agent_profile: "developer", provider: "mock", status: "idle" }],
    });
    const text = await cao(["session", "status", "work", "--terminal", worker.id]);
    expect(text.stdout).toBe(
      `Session:  work\nTerminal: ${worker.id}\nAgent:    developer\nProvider: mock\nStatus:   idle\n\nNo last response available\n`,
    );

    const async = await cao(["session", "send", "work", "--terminal", worker.id, "--async", "[[delay=8000]] go"]);
    expect(async).toMatchObject({ code: 0, stdout: `Message sent to terminal ${worker.id}\n` });
    const busy = await cao(["session", "send", "work", "--terminal", worker.id, "again"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(`terminal ${worker.id} is currently processing; wait for it to finish`);
  }, 90_000); // eight cao processes, each a second or more on a loaded machine

  it("says what is wrong: unknown session, bad arguments", async () => {
    const cases: [string[], number, RegExp][] = [
      [["session", "status", "nosuch"], 1, /session cao-nosuch not found/],
      [["session", "send", "nosuch", "hi"], 1, /session cao-nosuch not found/],
      [["session", "send", "work"], 2, /send takes <session> and "<message>"/],
      [["session", "send", "work", "hi", "--timeout", "0"], 2, /--timeout must be a positive/],
      [["session", "list", "--bogus"], 2, /Unknown option '--bogus'/],
      [["session", "frob"], 2, /unknown subcommand "frob"/],
    ];
    for (const [args, code, stderr] of cases) {
      const run = await cao(args);
      expect(run.code, args.join(" ")).toBe(code);
      expect(run.stderr).toMatch(stderr);
    }
    expect((await cao(["session", "--help"])).stdout).toMatch(/^usage: cao session list\|status\|send/);
    expect((await cao(["--help"])).stdout).toContain("session list|status|send");
  }, 90_000);
});
