/**
 * plugins.d/tool-policy.ts with the real Claude Code CLI: the bundled file copied as a drop-in into a real `cao
 * server` (CAO_PLUGINS_DIR) with its settings in a real config.yaml (CAO_CONFIG), Claude Code in tmux asking it
 * through its own PreToolUse hook, the model double scripting the tool calls. A denied `rm -rf` leaves its directory
 * in place and the model reads why; a Write outside the working directory never lands; an allowed command and a
 * Write inside run; a reviewer's allow-list keeps it from the shell.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

const marker = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

type EventJson = Record<string, any> & { event_type: string; seq: number };

describe("claude_code: plugins.d/tool-policy.ts decides its tool calls", { timeout: 180_000 }, () => {
  let rig: Rig;
  let id: string;
  let session: string;
  let workDir: string;
  let outside: string;

  const lastSeq = async (): Promise<number> => {
    const answer = await rig.server.http("GET", "/events/history?limit=1");
    return (answer.body as EventJson[])[0]?.seq ?? 0;
  };
  const deniedSince = async (since: number): Promise<EventJson[]> =>
    (await rig.server.http("GET", `/events/history?since=${since}&types=operation_denied`)).body as EventJson[];
  /** What the model was given back for its tool calls in the request that followed call number `call` (1-based). */
  const toolResults = (prompt: string, call = 1): string =>
    rig.double.requestsFor(prompt)[call]!.toolResults.join("\n");

  beforeAll(async () => {
    const plugins = tempDir("cao-tool-policy-plugins-");
    fs.copyFileSync(path.resolve("plugins.d/tool-policy.ts"), path.join(plugins, "tool-policy.ts"));
    const config = path.join(tempDir("cao-tool-policy-config-"), "config.yaml");
    fs.writeFileSync(
      config,
      [
        "plugins:",
        "  tool-policy:",
        "    config:",
        '      shell: { deny: ["rm -rf", "git push --force"] }',
        "      writes: { insideWorkingDirectory: true }",
        "      profiles: { reviewer: { allow: [Read, Grep, Glob] } }",
        "",
      ].join("\n"),
    );
    rig = await startRig(["claude_code"], { serverEnv: { CAO_PLUGINS_DIR: plugins, CAO_CONFIG: config } });
    const loaded = (await rig.server.http("GET", "/plugins")).body as Array<{ name: string; status: string }>;
    expect(loaded.map((p) => [p.name, p.status])).toEqual([["tool-policy", "active"]]);
    workDir = rig.freshDir();
    outside = rig.freshDir("cao-real-outside-");
    const terminal = await rig.launch("claude_code", { dir: workDir });
    id = terminal.id;
    session = terminal.session_name;
  }, 120_000);

  afterAll(async () => {
    await stopRigs();
    removeTempDirs();
  }, 60_000);

  it("rm -rf is denied: the directory survives and the model is told which rule refused it", async () => {
    const prompt = marker("POLICYRM");
    const doomed = path.join(workDir, `${prompt}-dir`);
    fs.mkdirSync(doomed);
    fs.writeFileSync(path.join(doomed, "keep.txt"), "still here");
    rig.double.addRules({ when: prompt, steps: [{ shell: `rm -rf ${doomed}` }, { text: `Refused for ${prompt}.` }] });
    const since = await lastSeq();
    await rig.turn(id, `${prompt}: clean up`, { prompt, requests: 2 });
    expect(fs.readFileSync(path.join(doomed, "keep.txt"), "utf8")).toBe("still here");
    expect(toolResults(prompt)).toContain(
      `denied by plugin tool-policy: shell command matches shell.deny rule "rm -rf": rm -rf ${doomed}`,
    );
    expect((await deniedSince(since)).map((event) => [event.point, event.plugin])).toEqual([
      ["pre_tool_use", "tool-policy"],
    ]);
  });

  it("a Write outside the working directory never lands; the model is told where it would have written", async () => {
    const prompt = marker("POLICYWRITE");
    const file = path.join(outside, `${prompt}.txt`);
    rig.double.addRules({
      when: prompt,
      steps: [{ tool: "Write", input: { file_path: file, content: "should not exist" } }, { text: `No ${prompt}.` }],
    });
    await rig.turn(id, `${prompt}: write the file`, { prompt, requests: 2 });
    expect(fs.existsSync(file)).toBe(false);
    expect(toolResults(prompt)).toContain(
      `denied by plugin tool-policy: Write writes ${file}, outside the working directory ${workDir} (writes.insideWorkingDirectory)`,
    );
  });

  it("an allowed command and a Write inside the working directory run", async () => {
    const prompt = marker("POLICYOK");
    const file = path.join(workDir, "notes", `${prompt}.txt`);
    rig.double.addRules({
      when: prompt,
      steps: [
        { shell: "printf 'ok-%d' 7" },
        { tool: "Write", input: { file_path: file, content: `written for ${prompt}` } },
        { text: `Done for ${prompt}.` },
      ],
    });
    const since = await lastSeq();
    await rig.turn(id, `${prompt}: run and write`, { prompt, requests: 3 });
    expect(toolResults(prompt, 1)).toContain("ok-7");
    expect(fs.readFileSync(file, "utf8")).toBe(`written for ${prompt}`);
    expect(await deniedSince(since)).toEqual([]);
  });

  it("a reviewer's allow-list keeps it from the shell", async () => {
    // A reviewer profile of the user's own, without the built-in's `role: reviewer` (which would not even offer the
    // shell to the model): here the plugin's allow-list is what stops it.
    const store = path.join(rig.home, ".cao", "agent-store");
    fs.mkdirSync(store, { recursive: true });
    fs.writeFileSync(
      path.join(store, "reviewer.md"),
      "---\nname: reviewer\ndescription: a reviewer without a role\n---\nYou review changes.\n",
    );
    const reviewer = await rig.addTerminal(session, "claude_code", { profile: "reviewer", dir: workDir });
    await rig.waitForStatus(reviewer.id, ["idle", "completed"]);
    const prompt = marker("POLICYREVIEW");
    const file = path.join(workDir, `${prompt}.created`);
    rig.double.addRules({ when: prompt, steps: [{ shell: `touch ${file}` }, { text: `Not for ${prompt}.` }] });
    await rig.turn(reviewer.id, `${prompt}: touch it`, { prompt, requests: 2 });
    expect(fs.existsSync(file)).toBe(false);
    expect(toolResults(prompt)).toContain(
      "denied by plugin tool-policy: tool Bash (shell) is not allowed for agent profile reviewer (profiles.reviewer.allow: Read, Grep, Glob)",
    );
  });
});
