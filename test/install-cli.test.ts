/**
 * `cao install` as users run it (docs/profiles.md, "Installing"): the built CLI, a fresh CAO_HOME and HOME, and a
 * real `cao server` child that then serves the installed profile. Every refused install leaves the store and
 * `.env` as they were.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUILTIN_PROFILE_DIR } from "../src/profiles/profiles.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { runCao, startServerProcess, stopServerProcesses } from "./helpers/server-process.js";

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

function setup() {
  const root = tempDir("cao-install-");
  const caoHome = path.join(root, "cao");
  const env = { HOME: path.join(root, "home"), CAO_HOME: caoHome };
  const cao = (args: string[], extra: Record<string, string> = {}) =>
    runCao(["install", ...args], { env: { ...process.env, ...env, ...extra }, cwd: root });
  return { root, caoHome, env, cao, store: path.join(caoHome, "agent-store"), envFile: path.join(caoHome, ".env") };
}

/** The files CAO may write: the profile store and the .env file. */
function state(caoHome: string): Record<string, string> {
  const files: Record<string, string> = {};
  const store = path.join(caoHome, "agent-store");
  if (fs.existsSync(store))
    for (const f of fs.readdirSync(store)) files[f] = fs.readFileSync(path.join(store, f), "utf8");
  if (fs.existsSync(path.join(caoHome, ".env"))) files[".env"] = fs.readFileSync(path.join(caoHome, ".env"), "utf8");
  return files;
}

describe("cao install", { timeout: 120_000 }, () => {
  it("copies a built-in profile by name into $CAO_HOME/agent-store, once", async () => {
    const t = setup();
    const first = await t.cao(["developer"]);
    expect(first).toMatchObject({
      code: 0,
      stdout: `✓ Agent 'developer' installed successfully: ${path.join(t.store, "developer.md")}\n`,
    });
    expect(fs.readFileSync(path.join(t.store, "developer.md"), "utf8")).toBe(
      fs.readFileSync(path.join(BUILTIN_PROFILE_DIR, "developer.md"), "utf8"),
    );
    const again = await t.cao(["developer"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("✓ Agent 'developer' is already in the local store");
  });

  it("copies a profile file, stores --env values for its ${VAR}, and the server then serves it expanded", async () => {
    const t = setup();
    const file = writeFile(
      path.join(t.root, "profiles", "service-agent.md"),
      "---\ndescription: talks to the service\nprovider: claude_code\nmcpServers:\n  svc:\n    command: svc-mcp\n    env:\n      API_TOKEN: ${SVC_TOKEN}\n---\nUse the service.\n",
    );
    const { code, stdout, stderr } = await t.cao(["./profiles/service-agent.md", "--env", "SVC_TOKEN=s3cr=t"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      [
        "✓ Copied agent from file to local store",
        `✓ Agent 'service-agent' installed successfully: ${path.join(t.store, "service-agent.md")}`,
        `✓ Set 1 env var(s) in ${t.caoHome}/.env`,
        "✓ Provider claude_code: the profile is given to it at each launch, nothing else to install",
        "",
      ].join("\n"),
    );
    expect(fs.readFileSync(path.join(t.store, "service-agent.md"), "utf8")).toBe(fs.readFileSync(file, "utf8"));
    expect(fs.statSync(t.envFile).mode & 0o777).toBe(0o600);

    const server = await startServerProcess({ home: t.caoHome, env: { HOME: t.env.HOME } });
    const { status, body } = await server.http("GET", "/agents/profiles/service-agent");
    expect(status).toBe(200);
    expect(body.mcp_servers).toEqual({ svc: { command: "svc-mcp", env: { API_TOKEN: "s3cr=t" } } });

    // Installing the file again replaces the stored copy.
    writeFile(file, "---\ndescription: second version\n---\nAgain.\n");
    expect((await t.cao([file])).code).toBe(0);
    expect((await server.http("GET", "/agents/profiles/service-agent")).body.description).toBe("second version");
  });

  it("installs a profile whose variable is unset, with a warning naming it", async () => {
    const t = setup();
    writeFile(path.join(t.root, "needs-var.md"), "---\nmodel: ${UNSET_FOR_INSTALL_TEST}\n---\nx\n");
    const { code, stderr } = await t.cao(["needs-var.md"]);
    expect(code).toBe(0);
    expect(stderr).toContain("⚠ Unset variable(s) in the profile: UNSET_FOR_INSTALL_TEST");
    expect(fs.existsSync(path.join(t.store, "needs-var.md"))).toBe(true);
    // Set in the environment of the install: no warning.
    const quiet = await t.cao(["needs-var.md"], { UNSET_FOR_INSTALL_TEST: "m" });
    expect(quiet).toMatchObject({ code: 0, stderr: "" });
  });

  it("refuses each bad source with one line and exit 1, writing nothing", async () => {
    const t = setup();
    writeFile(path.join(t.root, "bad-provider.md"), "---\nprovider: 42\n---\nx\n");
    writeFile(path.join(t.root, "bad-mcp.md"), "---\nmcpServers:\n  a: just-a-string\n---\nx\n");
    writeFile(path.join(t.root, "bad-yaml.md"), "---\ndescription: [x\n---\nx\n");
    writeFile(path.join(t.root, "bad name.md"), "x");
    writeFile(path.join(t.root, "notes.txt"), "x");
    fs.mkdirSync(path.join(t.root, "dir.md"));
    writeFile(path.join(t.store, "mine.md"), "---\ndescription: mine\n---\nkept\n");
    const before = state(t.caoHome);
    const cases: [string[], string][] = [
      [["nobody"], 'unknown agent profile "nobody"; available: code_supervisor, developer, mine, reviewer'],
      [["a.b"], '"a.b" is neither a profile name'],
      [["./missing.md"], "file not found: ./missing.md"],
      [["./notes.txt"], "a profile file must end in .md"],
      [["./dir.md"], "./dir.md is not a file"],
      [["./bad name.md"], "the file name must be 1-64 letters"],
      [["bad-provider.md", "--env", "X=1"], `agent profile bad-provider.md: provider must be a string (got 42)`],
      [["bad-mcp.md"], "agent profile bad-mcp.md: mcpServers.a must be a map {command, args?, env?}"],
      [["bad-yaml.md"], "agent profile bad-yaml.md has invalid YAML front matter"],
      [["http://github.com/o/r/agent.md"], "profile URLs must use https://"],
      [["https://example.com/agent.md"], "host example.com is not allowed for profile downloads"],
      [["https://github.com/o/../agent.md?x=1"], "must not have a query"],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await t.cao(args);
      expect(code, args.join(" ")).toBe(1);
      expect(stdout, args.join(" ")).toBe("");
      expect(stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stderr, args.join(" ")).toMatch(/^cao install: /);
      expect(stderr, args.join(" ")).toContain(message);
    }
    expect(state(t.caoHome)).toEqual(before);
  });

  it("exits 2 for usage mistakes, writing nothing", async () => {
    const t = setup();
    const cases: [string[], string][] = [
      [[], "give exactly one profile name"],
      [["developer", "reviewer"], "give exactly one profile name"],
      [["developer", "--provider", "nope"], '--provider: unknown provider "nope"; known: mock, mock_cli, claude_code'],
      [["developer", "--env", "NOEQUALS"], '--env "NOEQUALS": expected KEY=VALUE'],
      [["developer", "--env", "1X=y"], '--env "1X=y": expected KEY=VALUE'],
      [["developer", "--bogus"], "Unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await t.cao(args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr, args.join(" ")).toContain(message);
    }
    expect(state(t.caoHome)).toEqual({});
    expect((await t.cao(["--help"])).stdout).toMatch(/^usage: cao install/);
  });
});
