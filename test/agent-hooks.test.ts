/**
 * Agent hooks end to end with the mock agent, which runs Claude Code's hook settings the way Claude Code does
 * (docs/agent-hooks.md): a real cao server process, real tmux, real drop-in plugins, the mock agent calling the real
 * route with its secret. The real CLIs run the same suite in test/real-agents/*-hooks.test.ts.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HookTokens } from "../src/services/agent-hooks/hook-tokens.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { pluginFixture } from "./helpers/plugin-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { until } from "./helpers/wait.js";

type EventJson = Record<string, any> & { event_type: string; seq: number };
const AGENT_TYPES = "agent_turn_started,agent_tool_started,agent_tool_finished,agent_turn_ended,agent_notification";

describe("agent hooks with the mock agent (Claude Code's hook format)", { timeout: 60_000 }, () => {
  let server: ServerProcess;
  let id: string;
  let session: string;
  let workDir: string;

  const events = async (since: number, types = AGENT_TYPES): Promise<EventJson[]> =>
    ((await server.http("GET", `/events/history?since=${since}&limit=1000&types=${types}`)).body as EventJson[]).filter(
      (event) => event.terminal_id === id,
    );
  const lastSeq = async (): Promise<number> =>
    ((await server.http("GET", "/events/history?limit=1")).body as EventJson[])[0]?.seq ?? 0;
  const type = (text: string) => server.tmux("send-keys", "-t", `${session}`, "-l", text);
  /** Types `message` and waits for its turn's agent_turn_ended; returns the turn's agent events. */
  const turn = async (message: string): Promise<EventJson[]> => {
    const since = await lastSeq();
    type(message);
    server.tmux("send-keys", "-t", session, "Enter");
    return until(`the turn of ${JSON.stringify(message)}`, async () => {
      const seen = await events(since);
      return seen.some((event) => event.event_type === "agent_turn_ended") ? seen : undefined;
    });
  };

  beforeAll(async () => {
    server = await startServerProcess({
      plugins: {
        "tool-guard.ts": pluginFixture("tool-guard.ts"),
        "tool-guard-strict.ts": pluginFixture("tool-guard-strict.ts"),
      },
      env: { CAO_MOCK_DELAY_MS: "50" },
    });
    workDir = fs.realpathSync(tempDir("cao-hook-work-"));
    const created = await server.http(
      "POST",
      `/sessions?provider=mock&agent_profile=developer&working_directory=${encodeURIComponent(workDir)}`,
    );
    expect(created.status).toBe(201);
    id = created.body.id;
    session = created.body.session_name;
  }, 60_000);

  afterAll(async () => {
    await stopServerProcesses();
    removeTempDirs();
  });

  it("a shell tool call: turn started, tool started, tool finished with its output, turn ended with usage", async () => {
    const message = "/sh printf 'x-%d' 42";
    const seen = await turn(message);
    expect(seen.map((event) => event.event_type)).toEqual([
      "agent_turn_started",
      "agent_tool_started",
      "agent_tool_finished",
      "agent_turn_ended",
    ]);
    const [started, tool, finished, ended] = seen as [EventJson, EventJson, EventJson, EventJson];
    expect(started).toMatchObject({ prompt: message, provider: "mock", agent_name: "developer", session_id: session });
    expect(tool).toMatchObject({ tool_name: "Bash", tool_input: { command: "printf 'x-%d' 42" } });
    expect(finished).toMatchObject({ tool_name: "Bash", tool_use_id: tool.tool_use_id, ok: true, output: "x-42" });
    expect(finished.duration_ms).toBeGreaterThanOrEqual(0);
    const answer = "ran: printf 'x-%d' 42\nx-42";
    expect(ended).toMatchObject({
      last_message: answer,
      usage: { input_tokens: message.length, output_tokens: answer.length },
    });
  });

  it("a failing command: agent_tool_finished with ok false", async () => {
    const seen = await turn("/sh exit 3");
    const finished = seen.find((event) => event.event_type === "agent_tool_finished")!;
    expect(finished).toMatchObject({ ok: false });
    expect(finished.output).toContain("exit 3");
  });

  it("deny, modify and a throwing failClosed interceptor act on the command the agent runs", async () => {
    const denied = path.join(workDir, "denied.created");
    await turn(`/sh touch ${denied} # DENYME`);
    expect(fs.existsSync(denied)).toBe(false);
    expect((await server.http("GET", `/terminals/${id}/output?mode=last`)).body.output).toContain(
      "PreToolUse:Bash hook error: denied by plugin tool-guard: no DENYME commands here",
    );
    const modified = await turn("/sh printf 'x-%d' 1 # REWRITEME");
    expect(modified.find((event) => event.event_type === "agent_tool_finished")!.output).toBe("rewritten-7");
    const strict = path.join(workDir, "strict.created");
    await turn(`/sh touch ${strict} # THROWME`);
    expect(fs.existsSync(strict)).toBe(false);
  });

  it("a tool call every interceptor allows is answered {}: no updatedInput, no approval on the plugins' behalf", async () => {
    const tokens = HookTokens.open(path.join(server.home, "hook-key"));
    const answer = await server.http(
      "POST",
      `/terminals/${id}/agent-hooks`,
      { hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "true" }, tool_use_id: "t-allow" },
      { "x-cao-hook-token": tokens.tokenFor(id) },
    );
    expect(answer).toEqual({ status: 200, body: {} });
  });

  it("refuses a call without the secret, with another terminal's, and a body it cannot read; none emits anything", async () => {
    const other = await server.http("POST", `/sessions/${session}/terminals?provider=mock&agent_profile=developer`);
    expect(other.status).toBe(201);
    const tokens = HookTokens.open(path.join(server.home, "hook-key"));
    const since = await lastSeq();
    // A notification that is not a permission prompt: it changes no status (the next test reads statuses).
    const call = { hook_event_name: "Notification", message: "forged", notification_type: "auth_success" };
    const route = `/terminals/${id}/agent-hooks`;
    const none = await server.http("POST", route, call);
    expect(none).toEqual({ status: 401, body: { detail: expect.stringContaining("hook token") } });
    expect(
      (await server.http("POST", route, call, { "x-cao-hook-token": tokens.tokenFor(other.body.id) })).status,
    ).toBe(401);
    const own = { "x-cao-hook-token": tokens.tokenFor(id) };
    expect((await server.http("POST", route, { prompt: "no event name" }, own)).status).toBe(400);
    expect((await server.http("POST", route, { hook_event_name: "PreToolUse" }, own)).status).toBe(400);
    expect((await server.http("POST", route, [1, 2], own)).status).toBe(400);
    expect((await server.http("POST", route.replace(id, "0badc0de"), call, own)).status).toBe(401);
    expect(await lastSeq()).toBe(since);
    // The right secret is accepted: proof that the refusals above were about the secret and the body.
    expect((await server.http("POST", route, call, own)).status).toBe(200);
    expect(await events(since)).toEqual([
      expect.objectContaining({ event_type: "agent_notification", kind: "other", message: "forged" }),
    ]);
  });

  it("status follows the hooks: processing when the prompt is taken, completed when the turn ends", async () => {
    const since = await lastSeq();
    await turn("[[delay=1500]] a slow one");
    const changes = await until("completed", async () => {
      const seen = (await events(since, "terminal_status_changed")).map((event) => event.status);
      return seen.at(-1) === "completed" ? seen : undefined;
    });
    expect(changes).toEqual(["processing", "completed"]);
  });
});

describe("an agent whose server is gone (killed with SIGKILL)", { timeout: 60_000 }, () => {
  afterAll(async () => {
    await stopServerProcesses();
    removeTempDirs();
  });

  /** Launches a mock agent, kills its server, has the agent run `touch <file>`; whether the file appeared. */
  async function toolRunsWithoutServer(plugins: Record<string, string>): Promise<boolean> {
    const server = await startServerProcess({ plugins, env: { CAO_MOCK_DELAY_MS: "50" } });
    const dir = fs.realpathSync(tempDir("cao-hook-down-"));
    const created = await server.http("POST", `/sessions?provider=mock&agent_profile=developer`);
    expect(created.status).toBe(201);
    const session = created.body.session_name as string;
    expect(await server.stop("SIGKILL")).toBe("SIGKILL");
    const file = path.join(dir, "ran");
    server.tmux("send-keys", "-t", session, "-l", `/sh touch ${file}`);
    server.tmux("send-keys", "-t", session, "Enter");
    await until("the agent's answer", async () =>
      /hook error|ran: touch/.test(server.tmux("capture-pane", "-p", "-t", session)) ? true : undefined,
    );
    return fs.existsSync(file);
  }

  it("runs its tools (fail-open) when no failClosed pre_tool_use interceptor was registered", async () => {
    expect(await toolRunsWithoutServer({ "tool-guard.ts": pluginFixture("tool-guard.ts") })).toBe(true);
  });

  it("blocks its tools when a failClosed pre_tool_use interceptor was registered", async () => {
    expect(await toolRunsWithoutServer({ "tool-guard-strict.ts": pluginFixture("tool-guard-strict.ts") })).toBe(false);
  });
});

describe("cao-hook when CAO cannot be reached", () => {
  const hook = path.resolve("bin/cao-hook");
  const run = (event: string, env: Record<string, string>) =>
    spawnSync(hook, [event], {
      input: '{"tool_name":"Bash"}',
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...env },
    });

  it("lets the agent go on, unless the fail-closed marker is there and the call is a tool call", () => {
    const dir = tempDir("cao-hook-marker-");
    const marker = path.join(dir, "pre-tool-use-fail-closed");
    const env = {
      CAO_HOOK_URL: "http://127.0.0.1:1/terminals/0badc0de/agent-hooks",
      CAO_HOOK_TOKEN: "t",
      CAO_HOOK_FAIL_CLOSED: marker,
    };
    expect(run("PreToolUse", env).status).toBe(0);
    fs.writeFileSync(marker, "");
    const blocked = run("PreToolUse", env);
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toContain("fail-closed pre_tool_use policy");
    expect(run("BeforeTool", env).status).toBe(2);
    expect(run("PostToolUse", env).status).toBe(0);
    expect(run("Stop", env).status).toBe(0);
  });
});
