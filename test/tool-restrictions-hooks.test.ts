/**
 * CAO's own tool check through the agents' hooks (docs/tool-restrictions.md), end to end with the mock agent (whose
 * hooks speak Claude Code's format): a real `cao server`, real tmux, profiles with a role, allowedTools and a custom
 * role from $CAO_HOME/settings.json. A tool outside an agent's list is denied before any plugin is asked, the agent
 * is told why, and operation_denied names CAO; a bad role or list is a 400 that creates nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { until } from "./helpers/wait.js";

type EventJson = Record<string, any> & { event_type: string; seq: number };

describe("tool restrictions enforced through the mock agent's hooks", { timeout: 60_000 }, () => {
  let server: ServerProcess;
  let home: string;
  let workDir: string;

  const profile = (name: string, frontMatter: string[]) =>
    fs.writeFileSync(
      path.join(home, "agent-store", `${name}.md`),
      [
        "---",
        `name: ${name}`,
        "description: tool restriction check",
        ...frontMatter,
        "---",
        `You are ${name}.`,
        "",
      ].join("\n"),
    );
  const lastSeq = async (): Promise<number> =>
    ((await server.http("GET", "/events/history?limit=1")).body as EventJson[])[0]?.seq ?? 0;
  const launch = (agentProfile: string) =>
    server.http(
      "POST",
      `/sessions?provider=mock&agent_profile=${agentProfile}&working_directory=${encodeURIComponent(workDir)}`,
    );
  /** Runs `/sh <command>` in a new mock agent of `agentProfile`; returns its terminal and the events of that turn. */
  const shellTurn = async (agentProfile: string, command: string) => {
    const created = await launch(agentProfile);
    expect(created.status).toBe(201);
    const { id, session_name: session } = created.body as { id: string; session_name: string };
    const since = await lastSeq();
    server.tmux("send-keys", "-t", session, "-l", `/sh ${command}`);
    server.tmux("send-keys", "-t", session, "Enter");
    const events = await until("the turn's end", async () => {
      const seen = ((await server.http("GET", `/events/history?since=${since}&limit=1000`)).body as EventJson[]).filter(
        (event) => event.terminal_id === id || event.event_type === "operation_denied",
      );
      return seen.some((event) => event.event_type === "agent_turn_ended") ? seen : undefined;
    });
    const screen = server.tmux("capture-pane", "-p", "-t", session);
    return { id, events, screen };
  };

  beforeAll(async () => {
    home = tempDir("cao-tools-home-");
    fs.mkdirSync(path.join(home, "agent-store"), { recursive: true });
    fs.writeFileSync(path.join(home, "settings.json"), JSON.stringify({ roles: { shell_only: ["execute_bash"] } }));
    workDir = fs.realpathSync(tempDir("cao-tools-work-"));
    server = await startServerProcess({ home, env: { CAO_MOCK_DELAY_MS: "50" } });
    profile("overseer", ["role: supervisor"]);
    profile("runner", ["role: shell_only"]);
    profile("lister", ['allowedTools: ["fs_list", "@cao-mcp-server"]']);
    profile("typo", ["role: auditor"]);
    profile("badlist", ['allowedTools: ["fs_read", "Bash"]']);
  }, 60_000);

  afterAll(async () => {
    await stopServerProcesses();
    removeTempDirs();
  });

  it("a role: supervisor agent's shell command is denied by CAO before it runs; the agent reads why", async () => {
    const file = path.join(workDir, "supervisor-was-here");
    const { id, events, screen } = await shellTurn("overseer", `touch ${file}`);
    expect(fs.existsSync(file)).toBe(false);
    const reason =
      "denied by CAO tool restrictions: Bash is execute_bash, which this agent may not use (role supervisor: @cao-mcp-server, fs_read, fs_list)";
    expect(screen.replace(/\s+/g, " ")).toContain(`PreToolUse:Bash hook error: ${reason}`);
    const denied = events.filter((event) => event.event_type === "operation_denied");
    expect(denied.map((event) => [event.point, event.plugin, event.reason, event.operation.terminal_id])).toEqual([
      ["pre_tool_use", "cao", reason, id],
    ]);
    expect(events.filter((event) => event.event_type === "agent_tool_started")).toEqual([]);
  });

  it("allowedTools without execute_bash is denied the same way; a custom role from settings.json runs it", async () => {
    const denied = path.join(workDir, "lister-was-here");
    const { screen } = await shellTurn("lister", `touch ${denied}`);
    expect(fs.existsSync(denied)).toBe(false);
    expect(screen.replace(/\s+/g, " ")).toContain("(allowedTools of its profile: fs_list, @cao-mcp-server)");

    const allowed = path.join(workDir, "runner-was-here");
    const { events } = await shellTurn("runner", `touch ${allowed}`);
    expect(fs.existsSync(allowed)).toBe(true);
    expect(events.filter((event) => event.event_type === "operation_denied")).toEqual([]);
    expect(events.map((event) => event.event_type)).toContain("agent_tool_started");
  });

  it("an unknown role or a bad allowedTools entry is a 400 naming it, and no session is created", async () => {
    const before = (await server.http("GET", "/sessions")).body as unknown[];
    const typo = await launch("typo");
    expect(typo.status).toBe(400);
    expect(typo.body.detail).toBe(
      'agent profile typo: unknown role "auditor" (built-in roles: supervisor, developer, reviewer; custom roles: shell_only)',
    );
    const badList = await launch("badlist");
    expect(badList.status).toBe(400);
    expect(badList.body.detail).toMatch(/^agent profile badlist: allowedTools: unknown tool "Bash" \(known: /);
    expect((await server.http("GET", "/sessions")).body).toEqual(before);
  });
});
