/**
 * Skills end to end (docs/skills.md): a real `cao server` child with an isolated HOME (holding a Python CAO skill
 * store), the built `cao skills` CLI, cao-mcp-server's `load_skill` through the MCP SDK client, and mock agents whose
 * system prompt file shows the skill catalog CAO appends.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { CAO_MAIN, startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";

const root = tempDir("cao-skills-");
const home = path.join(root, "home");
const caoHome = path.join(root, "cao");
const store = path.join(caoHome, "skills");
const pyStore = path.join(home, ".aws", "cli-agent-orchestrator", "skills");
const extra = path.join(root, "project-skills");
const env = { HOME: home, CAO_HOME: caoHome };
let server: ServerProcess;

const skillMd = (name: string, description: string, body: string) =>
  `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`;

function cao(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CAO_MAIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every file under `dir` with its content: to show that a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return files;
}

const textOf = (result: unknown): string =>
  (result as { content: { text: string }[] }).content.map((c) => c.text).join("\n");

beforeAll(async () => {
  // An edited copy of a built-in skill: seeding must keep it.
  writeFile(
    path.join(store, "cao-worker-protocols", "SKILL.md"),
    skillMd("cao-worker-protocols", "my own edit", "Mine."),
  );
  writeFile(path.join(store, "shared", "SKILL.md"), skillMd("shared", "ours wins", "Our shared text."));
  writeFile(path.join(pyStore, "shared", "SKILL.md"), skillMd("shared", "python's", "Python's shared text."));
  writeFile(path.join(pyStore, "py-testing", "SKILL.md"), skillMd("py-testing", "pytest conventions", "Use pytest."));
  // A broken copy in our store does not hide the good one in the Python store.
  writeFile(path.join(store, "fallback", "SKILL.md"), skillMd("other-name", "mismatched", "x"));
  writeFile(path.join(pyStore, "fallback", "SKILL.md"), skillMd("fallback", "the good copy", "Fallback text."));
  writeFile(path.join(store, "broken", "SKILL.md"), "---\nname: broken\n---\nno description\n");
  writeFile(
    path.join(extra, "deploy-steps", "SKILL.md"),
    skillMd("deploy-steps", "how we deploy", "Deploy with care."),
  );
  fs.mkdirSync(path.join(extra, "not-a-skill"), { recursive: true });
  writeFile(path.join(caoHome, "settings.json"), JSON.stringify({ skills: { extra_dirs: [extra] } }));
  writeFile(
    path.join(caoHome, "agent-store", "worker-only.md"),
    "---\nskills: ['cao-worker-*', py-testing]\n---\nWork.\n",
  );
  writeFile(path.join(caoHome, "agent-store", "no-skills.md"), "---\nskills: []\n---\nNo catalog for me.\n");
  server = await startServerProcess({ home: caoHome, env: { HOME: home } });
});

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

describe("the skill store", () => {
  it("seeds the built-in skills at start-up without replacing an edited one", () => {
    const seeded = fs.readFileSync(path.join(store, "cao-supervisor-protocols", "SKILL.md"), "utf8");
    expect(seeded).toMatch(/^---\nname: cao-supervisor-protocols\ndescription: .+\n---\n/);
    expect(fs.readFileSync(path.join(store, "cao-worker-protocols", "SKILL.md"), "utf8")).toContain("my own edit");
  });

  it("GET /skills/:name returns the first copy that loads, from our store, the Python store or an extra directory", async () => {
    expect(await server.http("GET", "/skills/shared")).toEqual({
      status: 200,
      body: { name: "shared", content: "Our shared text." },
    });
    expect((await server.http("GET", "/skills/py-testing")).body).toEqual({
      name: "py-testing",
      content: "Use pytest.",
    });
    expect((await server.http("GET", "/skills/fallback")).body.content).toBe("Fallback text.");
    expect((await server.http("GET", "/skills/deploy-steps")).body.content).toBe("Deploy with care.");
    const supervisor = await server.http("GET", "/skills/cao-supervisor-protocols");
    expect(supervisor.body.content).toMatch(/^# Delegating work as a CAO supervisor/);
  });

  it("answers 404 for an unknown skill, 400 for a bad name or a SKILL.md that does not load", async () => {
    expect(await server.http("GET", "/skills/nothing-here")).toEqual({
      status: 404,
      body: { detail: "Skill not found: nothing-here" },
    });
    const bad = await server.http("GET", "/skills/a..b");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("must not contain '/', '\\', '..'");
    const broken = await server.http("GET", "/skills/broken");
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toBe(
      `skill ${path.join(store, "broken", "SKILL.md")}: description must be a non-empty string`,
    );
  });

  it("GET /settings/skill-dirs says where skills are looked up", async () => {
    expect((await server.http("GET", "/settings/skill-dirs")).body).toEqual({
      skills_dir: store,
      python_skills_dir: pyStore,
      extra_dirs: [extra],
    });
  });
});

describe("load_skill through cao-mcp-server", () => {
  it("returns the skill's text, and a clear failure for an unknown or empty name", async () => {
    const client = new Client({ name: "cao-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.resolve("dist/mcp/main.js")],
        env: {
          ...(process.env as Record<string, string>),
          CAO_API_HOST: "127.0.0.1",
          CAO_API_PORT: String(server.port),
        },
        stderr: "ignore",
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === "load_skill")?.inputSchema.required).toEqual(["name"]);
      const loaded = await client.callTool({ name: "load_skill", arguments: { name: "py-testing" } });
      // The skill's text itself, with no structuredContent for a CLI to show instead (as the Python CAO's tool).
      expect(loaded).toEqual({ content: [{ type: "text", text: "Use pytest." }] });
      const unknown = await client.callTool({ name: "load_skill", arguments: { name: "nothing-here" } });
      expect(unknown.isError).toBe(true);
      expect(unknown.structuredContent).toBeUndefined();
      expect(JSON.parse(textOf(unknown))).toEqual({ success: false, error: "Skill not found: nothing-here" });
      const broken = await client.callTool({ name: "load_skill", arguments: { name: "broken" } });
      expect(JSON.parse(textOf(broken)).error).toContain("description must be a non-empty string");
      const empty = await client.callTool({ name: "load_skill", arguments: { name: "" } });
      expect(empty.isError).toBe(true);
      expect(JSON.stringify(empty.content)).toContain("name must not be empty");
    } finally {
      await client.close();
    }
  });
});

describe("the skill catalog in agents' system prompts", { timeout: 120_000 }, () => {
  async function systemPromptOf(profile: string, session: string): Promise<string> {
    const terminal = await server.client.createSession({
      provider: "mock",
      agent_profile: profile,
      session_name: session,
    });
    try {
      return fs.readFileSync(path.join(caoHome, "runtime", terminal.id, "system-prompt.md"), "utf8");
    } finally {
      await server.client.deleteSession(terminal.session_name);
    }
  }

  it("appends every loadable skill's name and description to the profile's prompt", async () => {
    const prompt = await systemPromptOf("developer", "cat-all");
    const body = fs.readFileSync(path.resolve("agent-store/developer.md"), "utf8").split("---\n")[2]!.trim();
    expect(prompt.startsWith(`${body}\n\n## Available Skills\n\n`)).toBe(true);
    expect(prompt).toContain("`load_skill` tool of the `cao-mcp-server` MCP server");
    const lines = prompt.split("\n").filter((line) => line.startsWith("- **"));
    expect(lines).toEqual([
      expect.stringMatching(/^- \*\*cao-supervisor-protocols\*\*: How a supervisor delegates/),
      "- **cao-worker-protocols**: my own edit",
      "- **deploy-steps**: how we deploy",
      "- **fallback**: the good copy",
      "- **py-testing**: pytest conventions",
      "- **shared**: ours wins",
    ]);
  });

  it("lists only the skills a profile's `skills` patterns match, and none for `skills: []`", async () => {
    const scoped = await systemPromptOf("worker-only", "cat-scoped");
    expect(scoped.split("\n").filter((line) => line.startsWith("- **"))).toEqual([
      "- **cao-worker-protocols**: my own edit",
      "- **py-testing**: pytest conventions",
    ]);
    expect(await systemPromptOf("no-skills", "cat-none")).toBe("No catalog for me.");
  });

  it("shows a skill added with `cao skills add` to the next agent, without a restart", async () => {
    const source = path.join(root, "src-skills", "fresh-skill");
    writeFile(path.join(source, "SKILL.md"), skillMd("fresh-skill", "added while running", "Fresh."));
    expect((await cao(["skills", "add", source])).code).toBe(0);
    expect(await systemPromptOf("developer", "cat-fresh")).toContain("- **fresh-skill**: added while running");
    expect((await cao(["skills", "remove", "fresh-skill"])).code).toBe(0);
    expect(await systemPromptOf("developer", "cat-gone")).not.toContain("fresh-skill");
  });
});

describe("cao skills", { timeout: 120_000 }, () => {
  it("lists the skills of every directory, NAME and DESCRIPTION", async () => {
    const { code, stdout, stderr } = await cao(["skills", "list"]);
    expect(code).toBe(0);
    const rows = stdout
      .trimEnd()
      .split("\n")
      .map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(["NAME", "DESCRIPTION"]);
    expect(rows.slice(1).map((row) => row[0])).toEqual([
      "cao-supervisor-protocols",
      "cao-worker-protocols",
      "deploy-steps",
      "fallback",
      "py-testing",
      "shared",
    ]);
    expect(rows.find((row) => row[0] === "shared")![1]).toBe("ours wins");
    expect(stderr).toContain(`skipping skill folder ${path.join(store, "broken")}`);
  });

  it("adds a folder, refuses to replace it without --force, replaces it with --force, removes it", async () => {
    const source = path.join(root, "src-skills", "team-style");
    writeFile(path.join(source, "SKILL.md"), skillMd("team-style", "our style", "Version 1."));
    writeFile(path.join(source, "references", "extra.md"), "More.");
    const added = await cao(["skills", "add", source]);
    expect(added).toMatchObject({
      code: 0,
      stdout: `Skill 'team-style' installed in ${path.join(store, "team-style")}\n`,
    });
    expect(snapshot(path.join(store, "team-style"))).toEqual(snapshot(source));

    writeFile(path.join(source, "SKILL.md"), skillMd("team-style", "our style", "Version 2."));
    const again = await cao(["skills", "add", source]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`cao skills: skill "team-style" already exists in ${store}; use --force to replace it\n`);
    expect((await server.http("GET", "/skills/team-style")).body.content).toBe("Version 1.");
    expect((await cao(["skills", "add", source, "--force"])).code).toBe(0);
    expect((await server.http("GET", "/skills/team-style")).body.content).toBe("Version 2.");

    expect(await cao(["skills", "remove", "team-style"])).toMatchObject({
      code: 0,
      stdout: "Skill 'team-style' removed\n",
    });
    expect(fs.existsSync(path.join(store, "team-style"))).toBe(false);
    expect((await server.http("GET", "/skills/team-style")).status).toBe(404);
  });

  it("refuses each bad folder or name with one line, exit 1, and changes nothing", async () => {
    const src = path.join(root, "bad-skills");
    writeFile(path.join(src, "no-description", "SKILL.md"), "---\nname: no-description\n---\nx\n");
    writeFile(path.join(src, "wrong-folder", "SKILL.md"), skillMd("another-name", "d", "x"));
    writeFile(path.join(src, "bad-yaml", "SKILL.md"), "---\nname: [x\n---\n");
    fs.mkdirSync(path.join(src, "empty"), { recursive: true });
    const file = writeFile(path.join(src, "plain.txt"), "x");
    const before = snapshot(store);
    const cases: [string[], string][] = [
      [["skills", "add", path.join(src, "no-description")], "description must be a non-empty string"],
      [
        ["skills", "add", path.join(src, "wrong-folder")],
        'name "another-name" does not match its folder name "wrong-folder"',
      ],
      [["skills", "add", path.join(src, "bad-yaml")], "invalid YAML front matter"],
      [["skills", "add", path.join(src, "empty")], "has no SKILL.md"],
      [["skills", "add", file], "skill path is not a directory"],
      [["skills", "add", path.join(src, "missing")], "skill folder does not exist"],
      [["skills", "remove", "nothing-here"], 'skill "nothing-here" is not installed'],
      [["skills", "remove", ".."], "must not contain '/', '\\', '..'"],
      // A skill of the Python store is not ours to delete.
      [["skills", "remove", "py-testing"], 'skill "py-testing" is not installed'],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await cao(args);
      expect(code, args.join(" ")).toBe(1);
      expect(stdout, args.join(" ")).toBe("");
      expect(stderr.split("\n").filter(Boolean), args.join(" ")).toHaveLength(1);
      expect(stderr, args.join(" ")).toContain(message);
    }
    expect(snapshot(store)).toEqual(before);
    expect(fs.existsSync(path.join(pyStore, "py-testing", "SKILL.md"))).toBe(true);
  });

  it("exits 2 for usage mistakes", async () => {
    for (const args of [
      ["skills"],
      ["skills", "frob"],
      ["skills", "add"],
      ["skills", "remove", "a", "b"],
      ["skills", "list", "x"],
    ]) {
      const { code, stderr } = await cao(args);
      expect(code, args.join(" ")).toBe(2);
      if (args.length > 1) expect(stderr, args.join(" ")).toMatch(/^cao skills: .+\n$/);
    }
    expect((await cao(["skills", "--help"])).stdout).toMatch(/^usage: cao skills list/);
  });
});
