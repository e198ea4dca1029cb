/**
 * Codex through CAO: the common suite, plus what is Codex's own — the folder-trust screen it shows for a git
 * repository it has not seen (even with the bypass flag, so CAO answers it), and cao-mcp-server's tools, which Codex
 * offers the model inside a `namespace` tool and runs when the model's function_call names that namespace.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";
import { providerSuite } from "./provider-suite.js";

providerSuite("codex");

describe("codex: its own first-launch screen and MCP tools", { timeout: 180_000 }, () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig(["codex"]);
  }, 120_000);

  afterAll(async () => {
    await stopRigs();
    removeTempDirs();
  }, 60_000);

  it("a git repository Codex has not seen: CAO answers its folder-trust screen and the agent comes up idle", async () => {
    const dir = rig.freshDir("cao-real-repo-");
    execFileSync("git", ["init", "-q", dir]);
    const terminal = await rig.launch("codex", { dir });
    expect(await rig.status(terminal.id)).toBe("idle");
    expect(rig.server.output()).toMatch(/answering codex's first-launch screen/);
    // Codex itself records the answer in the user's config (no per-launch override stands in for it).
    expect(fs.readFileSync(path.join(rig.home, ".codex", "config.toml"), "utf8")).toContain(
      `[projects."${dir}"]\ntrust_level = "trusted"`,
    );
  });

  it("cao-mcp-server's tools reach the model in namespace mcp__cao_mcp_server, and a send_message call lands in the receiver's inbox", async () => {
    const sender = await rig.launch("codex");
    const receiver = await rig.addTerminal(sender.session_name, "codex");
    const prompt = `MCPCALL-${randomBytes(3).toString("hex")}`;
    const note = `hello from ${sender.id} for ${prompt}`;
    rig.double.addRules({
      when: prompt,
      steps: [
        { tool: "send_message", input: { receiver_id: receiver.id, message: note } },
        { text: `Sent for ${prompt}.` },
      ],
    });
    await rig.turn(sender.id, `${prompt}: tell the other terminal`, { prompt, requests: 2 });
    const [call, after] = rig.double.requestsFor(prompt);
    for (const tool of ["handoff", "assign", "send_message"])
      expect(call!.tools).toContain(`mcp__cao_mcp_server__${tool}`);
    expect(call!.reply).toMatchObject({ kind: "tool", namespace: "mcp__cao_mcp_server", name: "send_message" });
    expect(after!.toolResults.join("\n")).toMatch(/"success":\s*true/);
    const inbox = (await rig.server.http("GET", `/terminals/${receiver.id}/inbox/messages`)).body as {
      sender_id: string;
      message: string;
    }[];
    // With the sender line the Python CAO appends (docs/orchestration.md).
    const delivered = `${note}\n\n[Message from terminal ${sender.id}. Use send_message MCP tool for any follow-up work.]`;
    expect(inbox).toContainEqual(expect.objectContaining({ sender_id: sender.id, message: delivered }));
    expect(await rig.lastAnswer(sender.id)).toBe(`Sent for ${prompt}.`);
  });

  it("a handoff call starts a Codex worker, and the worker's answer comes back to the supervisor as the tool result", async () => {
    const supervisor = await rig.launch("codex");
    const tag = randomBytes(3).toString("hex");
    const [prompt, task] = [`HANDOFF-${tag}`, `WORKER-${tag}`];
    const workerAnswer = `Worker answer for ${task}: forty-two apples.`;
    rig.double.addRules(
      { when: task, steps: [{ text: workerAnswer }] },
      {
        when: prompt,
        steps: [
          {
            tool: "handoff",
            input: { agent_profile: "developer", message: `${task}: count the apples`, timeout: 120 },
          },
          { text: `Handed off for ${prompt}.` },
        ],
      },
    );
    await rig.turn(supervisor.id, `${prompt}: delegate the counting`, { prompt, requests: 2 });
    const [call, after] = rig.double.requestsFor(prompt);
    expect(call!.reply).toMatchObject({ kind: "tool", namespace: "mcp__cao_mcp_server", name: "handoff" });
    expect(rig.double.requestsFor(task).length).toBeGreaterThan(0);
    expect(after!.toolResults.join("\n")).toContain(workerAnswer);
    expect(await rig.lastAnswer(supervisor.id)).toBe(`Handed off for ${prompt}.`);
  });
});
