/**
 * Orchestration with real CLIs on both ends: the supervisor's model (the double) calls cao-mcp-server's tools
 * through the real CLI's own MCP client; the workers are real CLIs too. handoff returns the worker's answer in the
 * Python CAO's result shape; assign returns at once and the worker's send_message is delivered into the supervisor
 * once it is idle; the events of both are journaled. A mixed pair: a Claude Code supervisor with a Codex worker.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { waitFor } from "../helpers/wait.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

const tag = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

interface JournaledEvent {
  seq: number;
  event_type: string;
  [field: string]: unknown;
}

async function history(rig: Rig, since: number): Promise<JournaledEvent[]> {
  const { body } = await rig.server.http("GET", `/events/history?since=${since}&limit=1000`);
  return body as JournaledEvent[];
}

async function lastSeq(rig: Rig): Promise<number> {
  const { body } = await rig.server.http("GET", "/events/history?limit=1");
  return (body as JournaledEvent[]).at(-1)?.seq ?? 0;
}

/** The tool result the supervisor's model got back for its `index`-th request of the turn started by `prompt`. */
function toolResult(rig: Rig, prompt: string, index = 1): any {
  const text = rig.double.requestsFor(prompt)[index]?.toolResults.at(-1);
  expect(text, `tool result in request ${index} of ${prompt}`).toBeDefined();
  return JSON.parse(text!.slice(text!.indexOf("{"), text!.lastIndexOf("}") + 1));
}

describe("orchestration between real CLIs", { timeout: 240_000 }, () => {
  let rig: Rig;
  let supervisor: string;

  beforeAll(async () => {
    rig = await startRig(["claude_code", "codex"]);
    fs.mkdirSync(path.join(rig.server.home, "agent-store"), { recursive: true });
    fs.writeFileSync(
      path.join(rig.server.home, "agent-store", "codex_developer.md"),
      "---\nname: codex_developer\ndescription: a developer that runs on Codex\nprovider: codex\n---\nYou write code.\n",
    );
    supervisor = (await rig.launch("claude_code", { profile: "code_supervisor" })).id;
  }, 120_000);

  afterAll(async () => {
    await stopRigs();
    removeTempDirs();
  }, 60_000);

  it("handoff: the supervisor's model calls handoff, a worker answers, the result comes back in the Python CAO's shape", async () => {
    const ask = tag("DELEGATE");
    const task = tag("HAIKU");
    const haiku = `Worker haiku for ${task}: panes glow in the dark.`;
    rig.double.addRules(
      { when: task, steps: [{ text: haiku }] },
      {
        when: ask,
        steps: [
          {
            tool: "mcp__cao-mcp-server__handoff",
            input: { agent_profile: "developer", message: `${task}: write a haiku` },
          },
          { text: `Relayed ${task}.` },
        ],
      },
    );
    const since = await lastSeq(rig);
    await rig.turn(supervisor, `${ask}: get me a haiku`, { prompt: ask, requests: 2 });
    const result = toolResult(rig, ask);
    expect(result).toMatchObject({ success: true, output: haiku });
    expect(Object.keys(result).sort()).toEqual(["message", "output", "success", "terminal_id"]);
    expect(await rig.lastAnswer(supervisor)).toBe(`Relayed ${task}.`);

    const worker = result.terminal_id as string;
    await waitFor(
      async () =>
        (await history(rig, since)).some((e) => e.event_type === "terminal_killed" && e.terminal_id === worker),
      30_000,
      "the worker's terminal_killed",
    );
    const all = (await history(rig, since)).filter((e) => e.terminal_id === worker || e.receiver === worker);
    // The worker's own hooks reported its turn (docs/agent-hooks.md).
    expect(all.filter((e) => e.event_type.startsWith("agent_turn_")).map((e) => e.event_type)).toEqual([
      "agent_turn_started",
      "agent_turn_ended",
    ]);
    const events = all.filter((e) => e.event_type !== "terminal_status_changed" && !e.event_type.startsWith("agent_"));
    expect(events.map((e) => e.event_type)).toEqual(["terminal_created", "message_sent", "terminal_killed"]);
    expect(events[0]).toMatchObject({ provider: "claude_code", agent_name: "developer" });
    expect(events[1]).toMatchObject({
      sender: supervisor,
      orchestration_type: "handoff",
      message: `${task}: write a haiku`,
    });
    await rig.expectNoAgentProcesses(worker);
  });

  it("assign: returns at once; the worker's send_message is delivered into the supervisor when it is idle", async () => {
    const ask = tag("ASSIGN");
    const task = tag("REPORT");
    const report = tag("DONE");
    rig.double.addRules(
      { when: report, steps: [{ text: `Supervisor read ${report}.` }] },
      {
        when: task,
        steps: [
          {
            tool: "mcp__cao-mcp-server__send_message",
            input: { receiver_id: supervisor, message: `${report}: the answer is 42` },
          },
          { text: "Reported back." },
        ],
      },
      {
        when: ask,
        steps: [
          {
            tool: "mcp__cao-mcp-server__assign",
            input: { agent_profile: "developer", message: `${task}: do it and report back` },
          },
          { text: `Assigned ${task}.` },
        ],
      },
    );
    const since = await lastSeq(rig);
    await rig.send(supervisor, `${ask}: hand this out`);
    // The report is typed into the supervisor only after its own turn ended: wait for the turn it starts.
    await rig.double.waitForRequest((r) => r.prompt.includes(report), 120_000);
    await rig.waitForStatus(supervisor, "completed");
    expect(await rig.lastAnswer(supervisor)).toBe(`Supervisor read ${report}.`);

    const assigned = toolResult(rig, ask);
    expect(assigned).toMatchObject({ success: true });
    expect(Object.keys(assigned).sort()).toEqual(["message", "success", "terminal_id"]);
    const worker = assigned.terminal_id as string;
    // The supervisor's turn after assign began before the worker's first request ended: assign did not wait.
    const supervisorFollowUp = rig.double.requestsFor(ask)[1]!;
    const workerReport = rig.double.requestsFor(task)[1]!;
    expect(supervisorFollowUp.seq).toBeLessThan(workerReport.seq);

    const events = await history(rig, since);
    const types = (pick: (e: JournaledEvent) => boolean): string[] => events.filter(pick).map((e) => e.event_type);
    expect(types((e) => e.terminal_id === worker && e.event_type === "terminal_created")).toEqual(["terminal_created"]);
    expect(events.find((e) => e.event_type === "message_sent" && e.receiver === worker)).toMatchObject({
      orchestration_type: "assign",
      sender: supervisor,
    });
    const delivered = events.find((e) => e.event_type === "inbox_message_delivered" && e.sender === worker);
    expect(delivered).toMatchObject({ receiver: supervisor });
    const sent = events.find((e) => e.event_type === "message_sent" && e.sender === worker);
    // The worker was started for the supervisor, and its message names the sender, as the Python CAO's does.
    expect((await rig.server.http("GET", `/terminals/${worker}`)).body).toMatchObject({ caller_id: supervisor });
    expect(sent).toMatchObject({
      receiver: supervisor,
      orchestration_type: "send_message",
      message: `${report}: the answer is 42\n\n[Message from terminal ${worker}. Use send_message MCP tool for any follow-up work.]`,
    });
    expect(sent!.seq).toBeGreaterThan(delivered!.seq);
    const inbox = (await rig.server.http("GET", `/terminals/${supervisor}/inbox/messages`)).body as {
      sender_id: string;
      status: string;
    }[];
    expect(inbox.filter((m) => m.sender_id === worker).map((m) => m.status)).toEqual(["delivered"]);

    expect((await rig.server.http("DELETE", `/terminals/${worker}`)).status).toBe(200);
    await rig.expectNoAgentProcesses(worker);
  });

  it("a mixed pair: a Claude Code supervisor hands off to a Codex worker (its profile's provider)", async () => {
    const ask = tag("MIXED");
    const task = tag("CODEXTASK");
    const answer = `Codex worker answers ${task}.`;
    rig.double.addRules(
      { when: task, steps: [{ text: answer }] },
      {
        when: ask,
        steps: [
          {
            tool: "mcp__cao-mcp-server__handoff",
            input: { agent_profile: "codex_developer", message: `${task}: answer briefly` },
          },
          { text: `Relayed ${task}.` },
        ],
      },
    );
    const since = await lastSeq(rig);
    await rig.turn(supervisor, `${ask}: ask the codex developer`, { prompt: ask, requests: 2 });
    expect(toolResult(rig, ask)).toMatchObject({ success: true, output: answer });
    expect(rig.double.requestsFor(task)[0]!.protocol).toBe("openai-responses");
    const created = (await history(rig, since)).find((e) => e.event_type === "terminal_created");
    expect(created).toMatchObject({ provider: "codex", agent_name: "codex_developer" });
  });
});
