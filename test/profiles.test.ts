/**
 * Profile lookup as a Python CAO user meets it (docs/profiles.md): a real `cao server` child whose HOME holds a
 * Python CAO store and settings.json, answering over HTTP. Where each profile is found, which copy wins, `${VAR}`,
 * and a clear 400 for each way a profile can be wrong, with nothing launched.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_PROFILE_DIR } from "../src/profiles/profiles.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";

const root = tempDir("cao-profiles-");
const home = path.join(root, "home");
const caoHome = path.join(root, "cao");
const pyHome = path.join(home, ".aws", "cli-agent-orchestrator");
const ours = path.join(caoHome, "agent-store");
const pyStore = path.join(pyHome, "agent-store");
const extraOurs = path.join(root, "extra-ours");
const extraPy = path.join(root, "extra-py");
const kiroDir = path.join(root, "kiro-agents");
const disabledDir = path.join(root, "switched-off");
const profile = (description: string, more = "", body = "Do the task.") =>
  `---\ndescription: ${description}\n${more}---\n${body}\n`;
let server: ServerProcess;

beforeAll(async () => {
  writeFile(path.join(ours, "shadowed.md"), profile("ours"));
  writeFile(path.join(pyStore, "shadowed.md"), profile("python's"));
  writeFile(path.join(pyStore, "py-only.md"), profile("only in the Python store", "provider: codex\n"));
  // Our settings.json in the older flat form, the Python one in the nested form: both are read.
  writeFile(path.join(caoHome, "settings.json"), JSON.stringify({ extra_agent_dirs: [extraOurs, disabledDir] }));
  writeFile(
    path.join(pyHome, "settings.json"),
    JSON.stringify({
      agents: { dirs: { kiro_cli: kiroDir }, extra_dirs: [extraPy], disabled_dirs: [disabledDir] },
    }),
  );
  writeFile(path.join(kiroDir, "kiro-made", "agent.md"), profile("from a provider directory"));
  writeFile(path.join(disabledDir, "hidden.md"), profile("in a disabled directory"));
  writeFile(path.join(extraOurs, "nested-one", "agent.md"), profile("a directory-style profile"));
  writeFile(path.join(extraOurs, "developer.md"), profile("a developer of my own"));
  writeFile(path.join(extraPy, "from-py-settings.md"), profile("found through the Python settings"));
  writeFile(
    path.join(ours, "with-vars.md"),
    profile(
      "uses variables",
      "model: ${TEST_PROFILE_MODEL}\nmcpServers:\n  tracker:\n    command: tracker-mcp\n    env:\n      TOKEN: 'Bearer ${TEST_PROFILE_TOKEN}'\n",
      "The body keeps ${NOT_EXPANDED} as written.",
    ),
  );
  writeFile(path.join(caoHome, ".env"), 'TEST_PROFILE_TOKEN="from-env-file"\n');
  writeFile(path.join(ours, "unset-var.md"), profile("needs a variable", "model: ${NOT_SET_ANYWHERE_42}\n"));
  writeFile(path.join(ours, "bad-provider.md"), profile("bad provider", "provider: 42\n"));
  writeFile(path.join(ours, "bad-mcp.md"), profile("bad servers", "mcpServers: [one, two]\n"));
  writeFile(path.join(ours, "bad-yaml.md"), "---\ndescription: [unclosed\n---\nbody\n");
  server = await startServerProcess({
    home: caoHome,
    env: { HOME: home, TEST_PROFILE_MODEL: "model-from-server-env" },
  });
});

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

describe("GET /agents/profiles", () => {
  it("lists every profile once, from the first directory holding it, with the directories it shadows", async () => {
    const { status, body } = await server.http("GET", "/agents/profiles");
    expect(status).toBe(200);
    const byName = Object.fromEntries(body.map((row: { name: string }) => [row.name, row]));
    expect(body.map((row: { name: string }) => row.name)).toEqual(
      [
        "bad-mcp",
        "bad-provider",
        "bad-yaml",
        "code_supervisor",
        "developer",
        "from-py-settings",
        "kiro-made",
        "nested-one",
        "py-only",
        "reviewer",
        "shadowed",
        "unset-var",
        "with-vars",
      ].sort(),
    );
    expect(byName.shadowed).toMatchObject({
      description: "ours",
      source: "local",
      dir: ours,
      loadable: true,
      duplicated_in: ["python"],
    });
    expect(byName["py-only"]).toMatchObject({ source: "python", dir: pyStore, provider: "codex", loadable: true });
    expect(byName["nested-one"]).toMatchObject({ source: "custom", dir: extraOurs, loadable: true });
    expect(byName["from-py-settings"]).toMatchObject({ source: "custom", dir: extraPy });
    expect(byName["kiro-made"]).toMatchObject({ source: "kiro", dir: kiroDir, loadable: true });
    expect(byName.hidden).toBeUndefined(); // its directory is listed under disabled_dirs
    expect(byName.developer).toMatchObject({
      description: "a developer of my own",
      source: "custom",
      duplicated_in: ["built-in"],
    });
    expect(byName.reviewer).toMatchObject({ source: "built-in", dir: BUILTIN_PROFILE_DIR, duplicated_in: [] });
    expect(byName["with-vars"]).toMatchObject({ loadable: true });
    // The broken ones are listed with their reason instead of hiding the rest.
    expect(byName["bad-provider"]).toMatchObject({ loadable: false, error: expect.stringContaining("provider") });
    expect(byName["unset-var"]).toMatchObject({
      loadable: false,
      error: expect.stringContaining("NOT_SET_ANYWHERE_42"),
    });
  });

  it("says where profiles are looked up, in order", async () => {
    const { status, body } = await server.http("GET", "/settings/agent-dirs");
    expect(status).toBe(200);
    expect(body.dirs).toEqual([
      { dir: ours, source: "local" },
      { dir: pyStore, source: "python" },
      { dir: kiroDir, source: "kiro" },
      { dir: extraOurs, source: "custom" },
      { dir: extraPy, source: "custom" },
      { dir: BUILTIN_PROFILE_DIR, source: "built-in" },
    ]);
    expect(body.agent_dirs).toEqual({ kiro_cli: kiroDir });
    expect(body.extra_dirs).toEqual([extraOurs, disabledDir, extraPy]);
    expect(body.disabled_dirs).toEqual([disabledDir]);
    expect((await server.http("GET", "/agents/profiles/hidden")).status).toBe(404);
  });
});

describe("GET /agents/profiles/:name", () => {
  it("loads the winning copy from each kind of directory", async () => {
    expect((await server.http("GET", "/agents/profiles/shadowed")).body.description).toBe("ours");
    expect((await server.http("GET", "/agents/profiles/py-only")).body).toMatchObject({
      description: "only in the Python store",
      provider: "codex",
      system_prompt: "Do the task.",
    });
    expect((await server.http("GET", "/agents/profiles/nested-one")).body.description).toBe(
      "a directory-style profile",
    );
    expect((await server.http("GET", "/agents/profiles/from-py-settings")).status).toBe(200);
  });

  it("replaces ${VAR} in the front matter from the server's environment, then $CAO_HOME/.env; never in the body", async () => {
    const { status, body } = await server.http("GET", "/agents/profiles/with-vars");
    expect(status).toBe(200);
    expect(body.model).toBe("model-from-server-env");
    expect(body.mcp_servers).toEqual({ tracker: { command: "tracker-mcp", env: { TOKEN: "Bearer from-env-file" } } });
    expect(body.system_prompt).toBe("The body keeps ${NOT_EXPANDED} as written.");
  });

  it("answers 400 naming the file, field and variable for a profile that does not load", async () => {
    const unset = await server.http("GET", "/agents/profiles/unset-var");
    expect(unset.status).toBe(400);
    expect(unset.body.detail).toContain(path.join(ours, "unset-var.md"));
    expect(unset.body.detail).toContain("model uses ${NOT_SET_ANYWHERE_42}");
    const provider = await server.http("GET", "/agents/profiles/bad-provider");
    expect(provider).toMatchObject({ status: 400 });
    expect(provider.body.detail).toBe(
      `agent profile ${path.join(ours, "bad-provider.md")}: provider must be a string (got 42)`,
    );
    const mcp = await server.http("GET", "/agents/profiles/bad-mcp");
    expect(mcp.status).toBe(400);
    expect(mcp.body.detail).toContain("mcpServers must be a map");
    const yaml = await server.http("GET", "/agents/profiles/bad-yaml");
    expect(yaml.status).toBe(400);
    expect(yaml.body.detail).toContain("invalid YAML front matter");
  });

  it("answers 404 for an unknown profile and 400 for a name that is not one", async () => {
    const unknown = await server.http("GET", "/agents/profiles/nobody");
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('unknown agent profile "nobody"');
    const bad = await server.http("GET", "/agents/profiles/a.b");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("agent_profile must be 1-64 letters");
  });
});

describe("launching with a profile that does not load", () => {
  it("is a 400 naming the variable, and nothing is created", async () => {
    for (const name of ["unset-var", "bad-mcp"]) {
      const { status, body } = await server.http("POST", "/sessions", {
        provider: "mock",
        agent_profile: name,
        session_name: `s-${name}`,
      });
      expect(status, name).toBe(400);
      expect(body.detail, name).toContain(path.join(ours, `${name}.md`));
    }
    expect((await server.http("GET", "/sessions")).body).toEqual([]);
    expect(fs.existsSync(path.join(caoHome, "runtime")) ? fs.readdirSync(path.join(caoHome, "runtime")) : []).toEqual(
      [],
    );
  });
});
