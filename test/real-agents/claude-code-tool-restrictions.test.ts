/**
 * Tool restrictions (docs/tool-restrictions.md) with the real Claude Code CLI and the model double: a `role: reviewer`
 * agent launches without the permission bypass and without the writing tools, so a Write the model asks for never
 * lands and the model is told; an unrestricted profile (`allowedTools: ["*"]`, what yolo asks for) writes the same
 * file; and a permission question of Claude Code's own shows as waiting_user_answer and is answered with POST /terminals/:id/key.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

const marker = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

function writeProfile(rig: Rig, name: string, frontMatter: string[]): void {
  const store = path.join(rig.home, ".cao", "agent-store");
  fs.mkdirSync(store, { recursive: true });
  fs.writeFileSync(
    path.join(store, `${name}.md`),
    [
      "---",
      `name: ${name}`,
      `description: ${name} for the tool restriction checks`,
      ...frontMatter,
      "---",
      `You are ${name}.`,
      "",
    ].join("\n"),
  );
}

describe("claude_code: tool restrictions from role and allowedTools", { timeout: 240_000 }, () => {
  let rig: Rig;
  let session: string;
  let workDir: string;

  beforeAll(async () => {
    rig = await startRig(["claude_code"]);
    writeProfile(rig, "strict_reviewer", ["role: reviewer"]);
    writeProfile(rig, "unrestricted_writer", ['allowedTools: ["*"]']);
    workDir = rig.freshDir();
    session = (await rig.launch("claude_code", { profile: "strict_reviewer", dir: workDir })).session_name;
  }, 120_000);

  afterAll(async () => {
    await stopRigs();
    removeTempDirs();
  }, 60_000);

  /** What Claude Code sent the model: the tools offered in the turn's first request, the tool results in the next. */
  const offered = (prompt: string): string[] => rig.double.requestsFor(prompt)[0]!.tools;
  const toolResults = (prompt: string): string => rig.double.requestsFor(prompt)[1]!.toolResults.join("\n");

  it("a role: reviewer agent is not given the writing tools: a Write never lands, and the model is told", async () => {
    const reviewer = await rig.addTerminal(session, "claude_code", { profile: "strict_reviewer", dir: workDir });
    await rig.waitForStatus(reviewer.id, ["idle", "completed"]);
    const prompt = marker("REVIEWWRITE");
    const file = path.join(workDir, `${prompt}.txt`);
    rig.double.addRules({
      when: prompt,
      steps: [{ tool: "Write", input: { file_path: file, content: "must not exist" } }, { text: `No ${prompt}.` }],
    });
    await rig.turn(reviewer.id, `${prompt}: write the file`, { prompt, requests: 2 });
    expect(fs.existsSync(file)).toBe(false);
    expect(offered(prompt)).toContain("Read");
    expect(offered(prompt)).not.toContain("Write");
    expect(offered(prompt)).not.toContain("Bash");
    expect(toolResults(prompt)).toMatch(/No such tool available: Write/);
  });

  it("an unrestricted profile (allowedTools: ['*'], what yolo asks for) writes the same file", async () => {
    const writer = await rig.addTerminal(session, "claude_code", { profile: "unrestricted_writer", dir: workDir });
    await rig.waitForStatus(writer.id, ["idle", "completed"]);
    const prompt = marker("YOLOWRITE");
    const file = path.join(workDir, `${prompt}.txt`);
    rig.double.addRules({
      when: prompt,
      steps: [
        { tool: "Write", input: { file_path: file, content: `written for ${prompt}` } },
        { text: `Done ${prompt}.` },
      ],
    });
    await rig.turn(writer.id, `${prompt}: write the file`, { prompt, requests: 2 });
    expect(fs.readFileSync(file, "utf8")).toBe(`written for ${prompt}`);
    expect(offered(prompt)).toContain("Write");
  });

  it("Claude Code's own permission question shows as waiting_user_answer; Enter answers it and the write lands", async () => {
    // A developer may Write, yet Claude Code asks before it changes the project's .claude folder in its normal mode
    // (the bypass never asks): a real permission prompt.
    const developer = await rig.addTerminal(session, "claude_code", { profile: "developer", dir: workDir });
    await rig.waitForStatus(developer.id, ["idle", "completed"]);
    const prompt = marker("ASKWRITE");
    const file = path.join(workDir, ".claude", "settings.json");
    rig.double.addRules({
      when: prompt,
      steps: [{ tool: "Write", input: { file_path: file, content: "{}" } }, { text: `Done ${prompt}.` }],
    });
    await rig.turn(developer.id, `${prompt}: write the settings`, {
      prompt,
      requests: 1,
      until: "waiting_user_answer",
    });
    expect(fs.existsSync(file)).toBe(false);
    expect(await rig.fullOutput(developer.id)).toContain("Do you want to create settings.json?");
    // Answered as a user would from a script or the dashboard: POST /terminals/:id/key. Claude Code ignores keys for
    // a moment after it shows a question (so that typing cannot approve by accident): a key sent the instant the
    // status says waiting_user_answer can be lost, and is pressed again while the question is still there.
    for (let press = 0; ; press++) {
      expect(await rig.server.client.sendKey(developer.id, "Enter")).toEqual({ success: true });
      try {
        await rig.double.waitForRequest(() => rig.double.requestsFor(prompt).length >= 2, 3_000);
        break;
      } catch (error) {
        const stillAsking = (await rig.fullOutput(developer.id)).includes("Do you want to create settings.json?");
        if (press >= 3 || !stillAsking) throw error;
      }
    }
    await rig.double.waitForRequest(() => rig.double.requestsFor(prompt).length >= 2, 60_000);
    await rig.waitForStatus(developer.id, "completed");
    expect(fs.readFileSync(file, "utf8")).toBe("{}");
  });
});
