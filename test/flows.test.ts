/**
 * Scheduled flows through the routes and the CLI (docs/flows.md): a real `cao server` child, real tmux, the bundled
 * mock agent, and the built `cao` command. The cron timing itself is in flows-schedule.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
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
let dir: string;

beforeAll(async () => {
  // Omitted providers fall back to CAO_DEFAULT_PROVIDER (the profiles here name none).
  server = await startServerProcess({ env: { CAO_DEFAULT_PROVIDER: "mock" } });
  dir = tempDir("cao-flows-");
}, 60_000);

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

function cao(args: string[]): Promise<CaoRun> {
  return runCao(args, {
    env: { ...process.env, CAO_API_PORT: String(server.port), CAO_API_HOST: "127.0.0.1" },
    cwd: dir,
  });
}

/** A flow file in the test's directory; `front` is the front matter's lines. */
function flowFile(file: string, front: string[], body = "Summarise the day."): string {
  return writeFile(path.join(dir, file), `---\n${front.join("\n")}\n---\n${body}\n`);
}

const flowNames = async (): Promise<string[]> =>
  ((await server.http("GET", "/flows")).body as { name: string }[]).map((f) => f.name).sort();

async function journal(types: string): Promise<Record<string, any>[]> {
  return (await server.http("GET", `/events/history?types=${types}&limit=1000`)).body;
}

describe("the /flows routes", () => {
  it("add from fields (written to $CAO_HOME/flows), get, list, disable, enable, delete", async () => {
    const created = await server.http("POST", "/flows", {
      name: "nightly",
      schedule: "30 2 * * *",
      agent_profile: "developer",
      provider: "mock",
      prompt_template: "Check the nightly build.",
    });
    expect(created.status).toBe(201);
    const file = path.join(server.home, "flows", "nightly.flow.md");
    expect(created.body).toMatchObject({
      name: "nightly",
      file_path: file,
      schedule: "30 2 * * *",
      agent_profile: "developer",
      provider: "mock",
      script: "",
      last_run: null,
      enabled: true,
      prompt_template: "Check the nightly build.",
    });
    const next = new Date(created.body.next_run);
    expect([next.getHours(), next.getMinutes()]).toEqual([2, 30]);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(fs.readFileSync(file, "utf8")).toContain('schedule: "30 2 * * *"');

    expect((await server.http("GET", "/flows/nightly")).body).toEqual(created.body);
    expect(await flowNames()).toContain("nightly");

    expect(await server.http("POST", "/flows/nightly/disable")).toEqual({ status: 200, body: { success: true } });
    expect((await server.http("GET", "/flows/nightly")).body.enabled).toBe(false);
    expect(await server.http("POST", "/flows/nightly/enable")).toEqual({ status: 200, body: { success: true } });
    expect((await server.http("GET", "/flows/nightly")).body.enabled).toBe(true);

    expect(await server.http("DELETE", "/flows/nightly")).toEqual({ status: 200, body: { success: true } });
    expect((await server.http("GET", "/flows/nightly")).status).toBe(404);
    expect(await flowNames()).not.toContain("nightly");
  });

  it("answers 404 for a flow that does not exist, on every route", async () => {
    for (const [method, route] of [
      ["GET", "/flows/ghost"],
      ["DELETE", "/flows/ghost"],
      ["POST", "/flows/ghost/enable"],
      ["POST", "/flows/ghost/disable"],
      ["POST", "/flows/ghost/run"],
    ] as const) {
      expect(await server.http(method, route), `${method} ${route}`).toEqual({
        status: 404,
        body: { detail: "flow ghost not found" },
      });
    }
  });

  it.each([
    [{ schedule: "* * * * *", agent_profile: "developer", prompt_template: "x" }, /^name is required/],
    [{ name: "a b", schedule: "* * * * *", agent_profile: "developer", prompt_template: "x" }, /^name must be 1-55/],
    [{ name: "x".repeat(56), schedule: "* * * * *", agent_profile: "developer", prompt_template: "x" }, /^name/],
    [{ name: "bad", schedule: "* * *", agent_profile: "developer", prompt_template: "x" }, /^schedule .*5 fields/],
    [{ name: "bad", schedule: "0 0 31 2 *", agent_profile: "developer", prompt_template: "x" }, /^schedule .*never/],
    [{ name: "bad", schedule: 5, agent_profile: "developer", prompt_template: "x" }, /^schedule must be a string/],
    [{ name: "bad", schedule: "* * * * *", agent_profile: "nobody", prompt_template: "x" }, /^agent_profile: unknown/],
    [
      { name: "bad", schedule: "* * * * *", agent_profile: "developer", provider: "vim", prompt_template: "x" },
      /^provider: unknown provider "vim"/,
    ],
    [
      { name: "bad", schedule: "* * * * *", agent_profile: "developer", prompt_template: "" },
      /^prompt_template is empty/,
    ],
    [{ name: "bad", schedule: "* * * * *", agent_profile: "developer" }, /^prompt_template is required/],
    [
      { name: "bad", schedule: "* * * * *", agent_profile: "developer\nscript: /bin/true", prompt_template: "x" },
      /^agent_profile must be 1-64/,
    ],
    [
      {
        name: "bad",
        schedule: "* * * * *",
        agent_profile: "developer",
        provider: "mock\nscript: x",
        prompt_template: "x",
      },
      /^provider must be 1-64/,
    ],
    [{ file_path: "relative.md" }, /^file_path must be an absolute path/],
    [{ file_path: "/nonexistent/flow.md" }, /^flow file not found/],
    [{ file_path: "/tmp/x.md", name: "bad" }, /^file_path cannot be combined with name/],
  ])("refuses %j with a 400 naming the field, storing nothing", async (body, detail) => {
    const before = await flowNames();
    const answer = await server.http("POST", "/flows", body);
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(detail);
    expect(await flowNames()).toEqual(before);
    expect(fs.existsSync(path.join(server.home, "flows", "bad.flow.md"))).toBe(false);
  });

  it("refuses a second flow of the same name with a 409, keeping the first", async () => {
    const spec = { name: "twice", schedule: "0 9 * * 1-5", agent_profile: "developer", prompt_template: "one" };
    expect((await server.http("POST", "/flows", spec)).status).toBe(201);
    const again = await server.http("POST", "/flows", { ...spec, prompt_template: "two" });
    expect(again).toEqual({
      status: 409,
      body: { detail: "flow twice already exists; remove it first to add it again" },
    });
    expect((await server.http("GET", "/flows/twice")).body.prompt_template).toBe("one");
    await server.http("DELETE", "/flows/twice");
  });

  it("runs a flow now: the script's output fills the prompt, the session is replaced at each run", async () => {
    writeFile(
      path.join(dir, "check.sh"),
      `#!/bin/sh\necho '{"execute": true, "output": {"service": "billing", "status": 503}}'\n`,
    );
    fs.chmodSync(path.join(dir, "check.sh"), 0o755);
    const file = flowFile(
      "monitor.md",
      ["name: monitor", 'schedule: "0 0 1 1 *"', "agent_profile: developer", "script: ./check.sh"],
      "The [[service]] service answers [[status]]; find out why.",
    );
    const added = await server.http("POST", "/flows", { file_path: file });
    expect(added.status).toBe(201);
    // No provider in the file or the profile: the server's CAO_DEFAULT_PROVIDER (mock) runs it.
    expect(added.body).toMatchObject({ provider: null, script: "./check.sh" });

    expect(await server.http("POST", "/flows/monitor/run")).toEqual({ status: 200, body: { executed: true } });
    const [finished] = (await journal("flow_run_finished")).filter((e) => e.flow_name === "monitor");
    expect(finished).toMatchObject({
      session_id: "cao-flow-monitor",
      trigger: "manual",
      outcome: "launched",
      reason: null,
    });
    const terminal = (await server.http("GET", `/terminals/${finished!.terminal_id}`)).body;
    expect(terminal).toMatchObject({ session_name: "cao-flow-monitor", provider: "mock", agent_profile: "developer" });
    await waitFor(
      async () =>
        (await server.http("GET", `/terminals/${finished!.terminal_id}/output`)).body.output.includes(
          "The billing service answers 503; find out why.",
        ),
      15_000,
      "the rendered prompt in the agent's terminal",
      200,
    );
    expect((await server.http("GET", "/flows/monitor")).body.last_run).not.toBeNull();

    // A second run replaces the first run's session (its agent is idle by now).
    await waitFor(
      async () => (await server.http("GET", `/terminals/${finished!.terminal_id}`)).body.status !== "processing",
      15_000,
      "the first run's agent to finish",
      200,
    );
    expect((await server.http("POST", "/flows/monitor/run")).body).toEqual({ executed: true });
    const runs = (await journal("flow_run_finished")).filter((e) => e.flow_name === "monitor");
    expect(runs).toHaveLength(2);
    expect(runs[1]!.terminal_id).not.toBe(finished!.terminal_id);
    expect((await server.http("GET", `/terminals/${finished!.terminal_id}`)).status).toBe(404);
    expect((await server.http("GET", "/sessions/cao-flow-monitor/terminals")).body).toHaveLength(1);
    await server.http("DELETE", "/sessions/cao-flow-monitor");
  }, 90_000);

  it("skips a run whose script answers execute: false, launching nothing", async () => {
    writeFile(path.join(dir, "quiet.sh"), `#!/bin/sh\necho '{"execute": false, "output": {}}'\n`);
    fs.chmodSync(path.join(dir, "quiet.sh"), 0o755);
    const file = flowFile("quiet.md", [
      "name: quiet",
      'schedule: "0 0 1 1 *"',
      "agent_profile: developer",
      "script: quiet.sh",
    ]);
    expect((await server.http("POST", "/flows", { file_path: file })).status).toBe(201);
    expect(await server.http("POST", "/flows/quiet/run")).toEqual({ status: 200, body: { executed: false } });
    const [finished] = (await journal("flow_run_finished")).filter((e) => e.flow_name === "quiet");
    expect(finished).toMatchObject({ outcome: "skipped", terminal_id: null, session_id: null });
    expect(finished!.reason).toContain("execute: false");
    expect((await server.http("GET", "/sessions/cao-flow-quiet")).status).toBe(404);
  });

  it("journals a failed run and keeps the flow enabled", async () => {
    writeFile(path.join(dir, "broken.sh"), `#!/bin/sh\necho 'database unreachable' >&2\nexit 3\n`);
    fs.chmodSync(path.join(dir, "broken.sh"), 0o755);
    const file = flowFile("broken.md", [
      "name: broken",
      'schedule: "0 0 1 1 *"',
      "agent_profile: developer",
      "script: broken.sh",
    ]);
    expect((await server.http("POST", "/flows", { file_path: file })).status).toBe(201);
    const answer = await server.http("POST", "/flows/broken/run");
    expect(answer.status).toBe(500);
    expect(answer.body.detail).toMatch(/exited with code 3: database unreachable/);
    const events = (await journal("flow_run_started,flow_run_finished")).filter((e) => e.flow_name === "broken");
    expect(events.map((e) => [e.event_type, e.outcome])).toEqual([
      ["flow_run_started", undefined],
      ["flow_run_finished", "failed"],
    ]);
    expect(events[1]!.reason).toMatch(/exited with code 3/);
    expect((await server.http("GET", "/flows/broken")).body.enabled).toBe(true);
  });
});

describe("cao schedule and cao flow", () => {
  it("add, list, run, disable, enable, remove, with the Python CAO's messages", async () => {
    flowFile("standup.md", ["name: standup", 'schedule: "0 9 * * 1-5"', "agent_profile: developer", "provider: mock"]);
    const added = await cao(["schedule", "add", "standup.md"]);
    expect(added).toMatchObject({ code: 0, stderr: "" });
    expect(added.stdout).toMatch(
      /^Flow 'standup' added successfully\n {2}Schedule: 0 9 \* \* 1-5\n {2}Agent: developer\n {2}Next run: \d{4}-\d\d-\d\d 09:00\n$/,
    );
    expect((await server.http("GET", "/flows/standup")).body.file_path).toBe(path.join(dir, "standup.md"));

    const listed = await cao(["schedule", "list"]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    expect(lines[0]).toMatch(/^Name +Schedule +Agent +Last Run +Next Run +Enabled$/);
    expect(lines.find((l) => l.startsWith("standup "))).toMatch(
      /^standup +0 9 \* \* 1-5 +developer +Never +\S+ 09:00 +Yes$/,
    );

    expect(await cao(["schedule", "disable", "standup"])).toMatchObject({
      code: 0,
      stdout: "Flow 'standup' disabled\n",
    });
    expect((await cao(["schedule", "list"])).stdout.split("\n").find((l) => l.startsWith("standup "))).toMatch(/ No$/);
    expect(await cao(["schedule", "enable", "standup"])).toMatchObject({ code: 0, stdout: "Flow 'standup' enabled\n" });

    expect(await cao(["schedule", "run", "standup"])).toMatchObject({
      code: 0,
      stdout: "Flow 'standup' executed successfully\n",
    });
    expect((await journal("flow_run_finished")).filter((e) => e.flow_name === "standup")).toMatchObject([
      { outcome: "launched", trigger: "manual" },
    ]);
    const events = await cao(["events", "--type", "flow_run_finished"]);
    expect(events.stdout).toMatch(
      /flow_run_finished cao-flow-standup flow_name=standup trigger=manual outcome=launched/,
    );

    expect(await cao(["schedule", "remove", "standup"])).toMatchObject({
      code: 0,
      stdout: "Flow 'standup' removed successfully\n",
    });
    expect(await flowNames()).not.toContain("standup");
    expect(fs.existsSync(path.join(dir, "standup.md"))).toBe(true);
    await server.http("DELETE", "/sessions/cao-flow-standup");
  }, 90_000);

  it("cao flow works as the deprecated alias, with one line on stderr", async () => {
    flowFile("old.md", ["name: old", 'schedule: "15 * * * *"', "agent_profile: developer"]);
    const added = await cao(["flow", "add", "old.md"]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Flow 'old' added successfully\n/);
    expect(added.stderr).toBe("Warning: 'cao flow' is deprecated; use 'cao schedule' instead.\n");
    const removed = await cao(["flow", "remove", "old"]);
    expect(removed).toMatchObject({ code: 0, stdout: "Flow 'old' removed successfully\n" });
    expect(removed.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  }, 90_000);

  it("exits 1 with the server's reason, and 2 for usage mistakes, changing nothing", async () => {
    const before = await flowNames();
    flowFile("nocron.md", ["name: nocron", 'schedule: "every day"', "agent_profile: developer"]);
    const cases = [
      [
        ["schedule", "add", "nocron.md"],
        1,
        /^cao schedule: schedule "every day" is not a valid cron expression: must have 5 fields/,
      ],
      [["schedule", "add", "missing.md"], 1, /^cao schedule: flow file not found: .*missing\.md$/],
      [["schedule", "run", "ghost"], 1, /^cao schedule: flow ghost not found$/],
      [["schedule", "enable", "bad name"], 1, /^cao schedule: name must be 1-55 characters/],
      [["schedule"], 2, /^cao schedule: give a subcommand: add, list, run, enable, disable, remove$/],
      [["schedule", "frob"], 2, /^cao schedule: unknown subcommand "frob"/],
      [["schedule", "add"], 2, /^cao schedule: add takes exactly one FILE$/],
      [["schedule", "remove", "a", "b"], 2, /^cao schedule: remove takes exactly one NAME$/],
      [["schedule", "list", "x"], 2, /^cao schedule: list takes no arguments$/],
    ] as const;
    // Each is its own process: run them side by side.
    const results = await Promise.all(cases.map(([args]) => cao([...args])));
    for (const [i, [args, code, message]] of cases.entries()) {
      const result = results[i]!;
      expect(result.code, args.join(" ")).toBe(code);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(result.stderr.trim(), args.join(" ")).toMatch(message);
    }
    expect(await flowNames()).toEqual(before);
  }, 90_000);

  it("prints its help", async () => {
    const help = await cao(["schedule", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: cao schedule <add FILE \| list \| run NAME/);
    expect((await cao(["--help"])).stdout).toContain("schedule add|list|run|enable|disable|remove");
  }, 90_000);
});
