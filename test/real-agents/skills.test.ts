/**
 * Skills with a real CLI (docs/skills.md): Claude Code launched through CAO gets the skill catalog in its system prompt
 * (as the model double receives it), and its model loads a skill through cao-mcp-server's `load_skill` via the CLI's
 * own MCP client, getting the skill's text back as the tool result.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

const tag = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

describe("skills with Claude Code", { timeout: 180_000 }, () => {
  let rig: Rig;
  let id: string;
  const secret = tag("RELEASE-STEP");

  beforeAll(async () => {
    rig = await startRig(["claude_code"]);
    const dir = path.join(rig.server.home, "skills", "release-checklist");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, "SKILL.md"),
      `---\nname: release-checklist\ndescription: The steps of a release, in order\n---\n\n1. Run ${secret}.\n2. Tag the commit.\n`,
    );
    id = (await rig.launch("claude_code")).id;
  }, 120_000);

  afterAll(async () => {
    await stopRigs();
    removeTempDirs();
  }, 60_000);

  it("the catalog is in the system prompt the model receives, and load_skill returns the skill's text", async () => {
    const ask = tag("SKILL");
    rig.double.addRules({
      when: ask,
      steps: [
        { tool: "mcp__cao-mcp-server__load_skill", input: { name: "release-checklist" } },
        { text: `Loaded the checklist for ${ask}.` },
      ],
    });
    await rig.turn(id, `${ask}: how do we release?`, { prompt: ask, requests: 2 });
    const [first, second] = rig.double.requestsFor(ask);
    expect(first!.system).toContain("## Available Skills");
    expect(first!.system).toContain("- **release-checklist**: The steps of a release, in order");
    expect(first!.system).toContain("- **cao-supervisor-protocols**:"); // seeded at the server's start
    // The model reads the skill's text itself, not JSON around it.
    expect(second!.toolResults.at(-1)).toBe(`1. Run ${secret}.\n2. Tag the commit.`);
    expect(await rig.lastAnswer(id)).toBe(`Loaded the checklist for ${ask}.`);
  });
});
