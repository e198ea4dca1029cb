/**
 * `cao plugins new | info | enable | disable | reload | install | uninstall` as users run them: real processes of
 * dist/cli/main.js against a real `cao server` child (real tmux, the mock agent), the real TypeScript compiler on the
 * scaffold, and npm's real CLI installing into a temp CAO_HOME (local folders and `npm pack` tarballs; offline).
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../src/plugins/api/events.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const CAO = path.resolve("dist/cli/main.js");
const TSC = path.resolve("node_modules/.bin/tsc");

afterAll(async () => {
  await stopServerProcesses();
  removeTempDirs();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cao(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(process.execPath, [CAO, ...args], env);
}

function run(command: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    // offline: the fixtures are local, and a test must never depend on (or reach) the npm registry.
    execFile(
      command,
      args,
      { env: { ...process.env, npm_config_offline: "true", ...env }, cwd, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** env for the CLI against `server` (its home, its port). */
const envOf = (server: ServerProcess) => ({ CAO_HOME: server.home, CAO_API_PORT: String(server.port) });

describe("help", () => {
  it("cao plugins --help names every subcommand; each has its own --help; exit 0", async () => {
    const SUBCOMMANDS = ["list", "info", "enable", "disable", "reload", "new", "install", "uninstall"];
    const top = await cao(["plugins", "--help"]);
    expect(top.code).toBe(0);
    for (const sub of SUBCOMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${sub} `, "m"));
    for (const sub of SUBCOMMANDS) {
      const help = await cao(["plugins", sub, "--help"], { CAO_API_PORT: "1" });
      expect(help, sub).toMatchObject({ code: 0, stderr: "" });
      expect(help.stdout).toMatch(new RegExp(`^usage: cao plugins ${sub}`));
    }
    expect((await cao(["--help"])).stdout).toMatch(
      /plugins list\|info\|enable\|disable\|reload\|new\|install\|uninstall/,
    );
  });
});

describe("cao plugins new", () => {
  it("writes a plugin that hooks every event, a tsconfig and type links; tsc passes, and fails on a wrong event field", async () => {
    const home = tempDir("cao-new-");
    const dir = path.join(home, "plugins");
    const ts = await cao(["plugins", "new", "audit-log"], { CAO_HOME: home });
    expect(ts.code, ts.stderr).toBe(0);
    expect(ts.stdout).toContain(path.join(dir, "audit-log.ts"));
    const js = await cao(["plugins", "new", "plain", "--js"], { CAO_HOME: home });
    expect(js.code, js.stderr).toBe(0);
    const source = fs.readFileSync(path.join(dir, "audit-log.ts"), "utf8");
    // Every event the API knows, so the template cannot fall behind a new one.
    expect(EVENT_TYPES.length).toBeGreaterThanOrEqual(5);
    for (const event of EVENT_TYPES) {
      expect(source).toContain(`@hook("${event}")`);
      expect(fs.readFileSync(path.join(dir, "plain.js"), "utf8")).toContain(`async ${event}(event, context)`);
    }
    expect(source).toMatch(/static configSchema = Settings/);
    expect(source).toMatch(/\/\/ @intercept\("pre_send_message"/);
    expect(fs.existsSync(path.join(dir, "tsconfig.json"))).toBe(true);
    expect(fs.realpathSync(path.join(dir, "node_modules", "cli-agent-orchestrator"))).toBe(
      fs.realpathSync(path.resolve(".")),
    );

    const clean = await run(TSC, ["--noEmit", "-p", dir]);
    expect(clean.code, clean.stdout).toBe(0);

    // A misspelt field in a copy, once in TypeScript and once in the checked JavaScript: both are errors.
    fs.writeFileSync(path.join(dir, "typo.ts"), source.replace("event.sessionName", "event.sessionNme"));
    const plain = fs.readFileSync(path.join(dir, "plain.js"), "utf8");
    fs.writeFileSync(path.join(dir, "typo-js.js"), plain.replace("event.terminalId", "event.terminalID"));
    const broken = await run(TSC, ["--noEmit", "-p", dir]);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toMatch(/typo\.ts.*Property 'sessionNme' does not exist on type 'SessionCreatedEvent'/);
    expect(broken.stdout).toMatch(/typo-js\.js.*Property 'terminalID' does not exist/);
    // So is an event name that does not exist.
    fs.rmSync(path.join(dir, "typo.ts"));
    fs.rmSync(path.join(dir, "typo-js.js"));
    fs.writeFileSync(path.join(dir, "typo.ts"), source.replace('@hook("session_killed")', '@hook("session_kiled")'));
    expect((await run(TSC, ["--noEmit", "-p", dir])).stdout).toMatch(/"session_kiled"/);
  }, 120_000);

  it("shows the agent's own events and the pre_tool_use point: its commented examples, uncommented as they say, type-check", async () => {
    const home = tempDir("cao-new-");
    const dir = path.join(home, "plugins");
    expect((await cao(["plugins", "new", "guard"], { CAO_HOME: home })).code).toBe(0);
    expect((await cao(["plugins", "new", "plain", "--js"], { CAO_HOME: home })).code).toBe(0);
    const ts = fs.readFileSync(path.join(dir, "guard.ts"), "utf8");
    const js = fs.readFileSync(path.join(dir, "plain.js"), "utf8");
    expect(ts).toMatch(
      /\/\*\* agent_tool_started: an agent is about to run a tool.*Fields: .*toolName, toolInput, toolUseId/,
    );
    expect(ts).toMatch(/^  \/\/ @intercept\("pre_tool_use"\)$/m);
    expect(js).toMatch(/^  \/\/   async pre_tool_use\(op\) \{$/m);

    // What the comments say: add these to the import, then remove the comment marks (the prose stays a comment).
    const uncomment = (text: string, from: string) => {
      const at = text.indexOf(from);
      expect(at, from).toBeGreaterThan(0);
      return text.slice(0, at) + text.slice(at).replace(/^( *)\/\/ ?/gm, "$1");
    };
    const example = /^( +)\/\/ (if \(event\.toolName === "Bash"\))/m;
    let tsOpen = ts
      .replace("  hook,\n", "  hook,\n  intercept,\n  deny,\n  modify,\n  type PreSendMessage,\n  type PreToolUse,\n")
      .replace(example, "$1$2");
    tsOpen = uncomment(tsOpen, '  // @intercept("pre_send_message"');
    const jsOpen = uncomment(
      js.replace("import { definePlugin }", "import { definePlugin, deny, modify }").replace(example, "$1$2"),
      "  // intercepts: {",
    );
    expect(tsOpen).toContain('  @intercept("pre_tool_use")\n  async checkTool(op: PreToolUse) {');
    expect(tsOpen).toMatch(/^    if \(event\.toolName === "Bash"\) this\.logger\.info/m);
    expect(jsOpen).toContain("    async pre_tool_use(op) {");
    fs.writeFileSync(path.join(dir, "guard.ts"), tsOpen);
    fs.writeFileSync(path.join(dir, "plain.js"), jsOpen);
    const checked = await run(TSC, ["--noEmit", "-p", dir]);
    expect(checked.code, checked.stdout).toBe(0);

    // And they are checked: a field the point does not have is an error in both.
    fs.writeFileSync(
      path.join(dir, "guard.ts"),
      tsOpen.replace("op.toolInput.command ===", "op.toolInputs.command ==="),
    );
    fs.writeFileSync(
      path.join(dir, "plain.js"),
      jsOpen.replace("op.toolInput.command ===", "op.toolImput.command ==="),
    );
    const broken = await run(TSC, ["--noEmit", "-p", dir]);
    expect(broken.stdout).toMatch(/guard\.ts.*Property 'toolInputs' does not exist on type 'PreToolUse'/);
    expect(broken.stdout).toMatch(/plain\.js.*Property 'toolImput' does not exist/);
  }, 120_000);

  it("refuses an existing plugin name (exit 1, nothing changed) and an invalid name (exit 2, nothing written)", async () => {
    const home = tempDir("cao-new-");
    const dir = path.join(home, "plugins");
    writeFile(path.join(dir, "mine.mjs"), "export default { hooks: {} };\n");
    writeFile(path.join(dir, "folder", "index.ts"), "export default { hooks: {} };\n");
    for (const [name, flags] of [
      ["mine", []],
      ["mine", ["--js"]],
      ["folder", []],
    ] as const) {
      const result = await cao(["plugins", "new", name, ...flags], { CAO_HOME: home });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`a plugin named ${name} already exists: .*${name}.*nothing was written`),
      );
    }
    expect(fs.readFileSync(path.join(dir, "mine.mjs"), "utf8")).toBe("export default { hooks: {} };\n");
    expect(fs.readdirSync(dir).sort()).toEqual(["folder", "mine.mjs"]);
    for (const args of [["bad name"], ["../escape"], ["-x"], [".hidden"], ["a".repeat(65)], [], ["a", "b"]]) {
      const result = await cao(["plugins", "new", ...args], { CAO_HOME: home });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^cao plugins: /);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(["folder", "mine.mjs"]);
  }, 90_000);

  it("the scaffold loads in a real server with its config.yaml section, and every handler fires on real events", async () => {
    const home = tempDir("cao-new-");
    expect((await cao(["plugins", "new", "audit-log"], { CAO_HOME: home })).code).toBe(0);
    expect((await cao(["plugins", "new", "plain", "--js"], { CAO_HOME: home })).code).toBe(0);
    writeFile(path.join(home, "config.yaml"), "plugins:\n  audit-log:\n    config:\n      greeting: ahoy\n");
    const server = await startServerProcess({ home });
    const rows = (await server.http("GET", "/plugins")).body as { name: string; status: string; hooks: string[] }[];
    for (const name of ["audit-log", "plain"]) {
      expect(
        rows.find((r) => r.name === name),
        JSON.stringify(rows),
      ).toMatchObject({
        status: "active",
        hooks: expect.arrayContaining([
          "session_created",
          "session_killed",
          "terminal_created",
          "terminal_killed",
          "message_sent",
        ]),
      });
    }
    const terminal = await server.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "scaffold",
    });
    await waitFor(
      async () => (await server.client.getTerminal(terminal.id)).status === "idle",
      20_000,
      "the mock agent to be idle",
    );
    await server.client.sendInput(terminal.id, {
      message: "hello",
      sender_id: terminal.id,
      orchestration_type: "send_message",
    });
    await server.client.deleteSession("cao-scaffold");
    const seen = (plugin: string) =>
      server
        .lines()
        .filter((line) => line.plugin === plugin)
        .map((line) => String(line.msg));
    const events = ["session_created", "terminal_created", "message_sent", "terminal_killed", "session_killed"];
    await waitFor(
      () => events.every((e) => seen("audit-log").includes(`ahoy: ${e} in cao-scaffold`)),
      20_000,
      `audit-log's handlers: ${seen("audit-log")}`,
    );
    // The .js one has no section: its schema's defaults apply.
    await waitFor(
      () => events.every((e) => seen("plain").includes(`hello: ${e} in cao-scaffold`)),
      20_000,
      `plain's handlers: ${seen("plain")}`,
    );
    const created = server
      .lines()
      .find((line) => line.plugin === "audit-log" && line.msg === "ahoy: terminal_created in cao-scaffold")!;
    expect(created).toMatchObject({ terminalId: terminal.id, agentName: "developer", provider: "mock" });
    expect(seen("audit-log")).toContain("audit-log ready");
  }, 90_000);
});

describe("cao plugins info | enable | disable | reload, against a running server", () => {
  it("shows, disables, enables and reloads a plugin (human and --json), persisting enabled: with the user's comments", async () => {
    const home = tempDir("cao-manage-");
    writeFile(path.join(home, "plugins", "counter.mjs"), "export default { hooks: { session_created() {} } };\n");
    writeFile(
      path.join(home, "config.yaml"),
      "# my settings\nplugins:\n  counter:\n    config: { every: 3 } # three\n",
    );
    const server = await startServerProcess({ home });
    const env = envOf(server);

    const info = await cao(["plugins", "info", "counter"], env);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^name\s+counter$/m);
    expect(info.stdout).toMatch(/^status\s+active$/m);
    expect(info.stdout).toMatch(/^hooks\s+session_created$/m);
    expect(info.stdout).toMatch(/^config\s+\{"every":3\}$/m);
    const json = JSON.parse((await cao(["plugins", "info", "counter", "--json"], env)).stdout);
    expect(json).toMatchObject({ name: "counter", source: "dir", status: "active", config: { every: 3 } });

    const disabled = await cao(["plugins", "disable", "counter"], env);
    expect(disabled).toMatchObject({ code: 0, stdout: "disabled counter: disabled\n" });
    expect((await server.http("GET", "/plugins/counter")).body.status).toBe("disabled");
    const file = fs.readFileSync(path.join(home, "config.yaml"), "utf8");
    expect(file).toMatch(/enabled: false/);
    expect(file).toMatch(/# my settings/);
    expect(file).toMatch(/# three/);

    const enabled = JSON.parse((await cao(["plugins", "enable", "counter", "--json"], env)).stdout);
    expect(enabled).toMatchObject({ name: "counter", status: "active" });
    expect(fs.readFileSync(path.join(home, "config.yaml"), "utf8")).toMatch(/enabled: true/);

    writeFile(
      path.join(home, "plugins", "counter.mjs"),
      "export default { hooks: { session_created() {}, session_killed() {} } };\n",
    );
    const reloaded = await cao(["plugins", "reload", "counter"], env);
    expect(reloaded).toMatchObject({ code: 0, stdout: "reloaded counter: active\n" });
    expect((await server.http("GET", "/plugins/counter")).body.hooks).toEqual(["session_created", "session_killed"]);
  }, 60_000);

  it("unknown name → exit 1 'no plugin named X'; a load that fails → exit 1 with the reason; usage errors exit 2", async () => {
    const home = tempDir("cao-manage-");
    writeFile(path.join(home, "plugins", "flaky.mjs"), "export default { hooks: { session_created() {} } };\n");
    const server = await startServerProcess({ home });
    const env = envOf(server);
    expect((await cao(["plugins", "info", "flaky"], env)).stdout).toMatch(/^config\s+\(no section in config\.yaml\)$/m);
    for (const sub of ["info", "enable", "disable", "reload"]) {
      const result = await cao(["plugins", sub, "nope"], env);
      expect(result, sub).toMatchObject({ code: 1, stdout: "", stderr: "cao plugins: no plugin named nope\n" });
    }
    // Its file now throws at setup: reload and enable answer 409 with the reason.
    writeFile(
      path.join(home, "plugins", "flaky.mjs"),
      'export default { async setup() { throw new Error("no database here"); }, hooks: {} };\n',
    );
    const reload = await cao(["plugins", "reload", "flaky"], env);
    expect(reload.code).toBe(1);
    expect(reload.stderr).toMatch(/^cao plugins: flaky: .*no database here/);
    expect((await cao(["plugins", "disable", "flaky"], env)).code).toBe(0);
    const enable = await cao(["plugins", "enable", "flaky"], env);
    expect(enable.code).toBe(1);
    expect(enable.stderr).toMatch(/^cao plugins: flaky: .*no database here/);
    const list = JSON.parse((await cao(["plugins", "list", "--json"], env)).stdout) as {
      name: string;
      status: string;
      error?: string;
    }[];
    expect(list.find((p) => p.name === "flaky")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/no database here/),
    });

    for (const args of [["info"], ["enable", "a", "b"], ["reload", "--bogus", "x"], ["frobnicate"]]) {
      const result = await cao(["plugins", ...args], env);
      expect(result.code, args.join(" ")).toBe(2);
    }
  }, 60_000);

  it("with no server running: the existing clear error, exit 1", async () => {
    for (const sub of ["info", "enable", "disable", "reload"]) {
      const result = await cao(["plugins", sub, "x"], { CAO_API_PORT: "1" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /cao-server is not running at http:\/\/127\.0\.0\.1:1 \(start it with "cao server"/,
      );
    }
  });
});

describe("cao plugins install | uninstall, with npm's CLI", () => {
  /** A package folder: a plugin (with the cao-plugin keyword) unless `keyword` is false. */
  function fixturePackage(name: string, keyword = true): string {
    const dir = tempDir("cao-pkg-");
    writeFile(
      path.join(dir, "package.json"),
      JSON.stringify({
        name,
        version: "1.2.3",
        type: "module",
        main: "index.js",
        ...(keyword ? { keywords: ["cao-plugin"] } : {}),
      }),
    );
    writeFile(path.join(dir, "index.js"), "export default { hooks: { terminal_created() {} } };\n");
    return dir;
  }

  it("installs a local folder and a tarball into CAO_HOME; the running server loads them; uninstall unloads", async () => {
    const server = await startServerProcess();
    const env = envOf(server);
    const folder = fixturePackage("cao-plugin-folder");
    const installed = await cao(["plugins", "install", folder], env);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`installed cao-plugin-folder into ${path.join(server.home, "node_modules")}`);
    expect(installed.stdout).toContain("cao-server: cao-plugin-folder active");
    expect(JSON.parse(fs.readFileSync(path.join(server.home, "package.json"), "utf8")).dependencies).toHaveProperty(
      "cao-plugin-folder",
    );
    expect((await server.http("GET", "/plugins/cao-plugin-folder")).body).toMatchObject({
      source: "npm",
      version: "1.2.3",
      status: "active",
      hooks: ["terminal_created"],
    });

    // A tarball from `npm pack`, given relative to where the command runs.
    const packDir = tempDir("cao-pack-");
    execFileSync("npm", ["pack", fixturePackage("cao-plugin-tarball"), "--pack-destination", packDir], {
      stdio: "ignore",
    });
    const tarball = fs.readdirSync(packDir).find((f) => f.endsWith(".tgz"))!;
    const fromTarball = await run(process.execPath, [CAO, "plugins", "install", `./${tarball}`], env, packDir);
    expect(fromTarball.code, fromTarball.stderr).toBe(0);
    expect(fromTarball.stdout).toContain("cao-server: cao-plugin-tarball active");
    expect(fs.existsSync(path.join(server.home, "node_modules", "cao-plugin-tarball", "index.js"))).toBe(true);

    const removed = await cao(["plugins", "uninstall", "cao-plugin-folder"], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("cao-server: cao-plugin-folder unloaded");
    expect((await server.http("GET", "/plugins/cao-plugin-folder")).status).toBe(404);
    expect(JSON.parse(fs.readFileSync(path.join(server.home, "package.json"), "utf8")).dependencies).not.toHaveProperty(
      "cao-plugin-folder",
    );
    expect((await server.http("GET", "/plugins/cao-plugin-tarball")).body.status).toBe("active");
  }, 180_000);

  it("warns about a package without the cao-plugin keyword; refuses to uninstall what it did not install; npm's failure is exit 1", async () => {
    const server = await startServerProcess();
    const env = envOf(server);
    const plain = await cao(["plugins", "install", fixturePackage("not-a-plugin", false)], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain(
      'warning: not-a-plugin has no "cao-plugin" keyword in its package.json, so cao-server does not load it as a plugin',
    );
    expect((await server.http("GET", "/plugins/not-a-plugin")).status).toBe(404);

    const unknown = await cao(["plugins", "uninstall", "never-installed"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^cao plugins: never-installed is not installed in /);

    const before = fs.readFileSync(path.join(server.home, "package.json"), "utf8");
    const missing = await cao(["plugins", "install", path.join(tempDir("cao-pkg-"), "no-such-folder")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cao plugins: npm install failed \(exit \d+; npm's output is above\)/);
    expect(fs.readFileSync(path.join(server.home, "package.json"), "utf8")).toBe(before);
  }, 180_000);

  it("with no server running: installs, says it loads at the next start, exit 0; the next start loads it", async () => {
    const home = tempDir("cao-offline-");
    const result = await cao(["plugins", "install", fixturePackage("cao-plugin-later")], {
      CAO_HOME: home,
      CAO_API_PORT: "1",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("cao-server is not running; the change takes effect at its next start");
    const server = await startServerProcess({ home });
    expect((await server.http("GET", "/plugins/cao-plugin-later")).body).toMatchObject({
      source: "npm",
      status: "active",
    });
  }, 120_000);
});
