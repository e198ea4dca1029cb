/**
 * The real agent CLIs' providers, on recorded screens (test/fixtures/screens/<provider>/): status per screen,
 * answer extraction, the pane-log idle test, and the launch each builds — argv through a real shell, and the
 * MCP configuration that gives each CLI cao-mcp-server with the terminal's CAO_TERMINAL_ID.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellQuote } from "../src/clients/tmux.js";
import { ProfileStore } from "../src/profiles/profiles.js";
import { defaultProviders, ProviderRegistry } from "../src/providers/index.js";
import { mockProvider } from "../src/providers/mock.js";
import type { LaunchContext, Provider, TerminalStatus } from "../src/providers/provider.js";
import { TERMINAL_STATUSES } from "../src/providers/provider.js";
import { removeLaunchFiles, writeLaunchFiles } from "../src/services/launch-files.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startTestServer } from "./helpers/server.js";

afterEach(removeTempDirs);

const SCREENS = path.resolve("test/fixtures/screens");
const REAL = ["claude_code", "codex", "kiro_cli", "q_cli", "gemini_cli", "qwen_cli", "copilot_cli", "opencode_cli"];
const providers = new Map(defaultProviders().map((p) => [p.name, p]));
const provider = (name: string): Provider => providers.get(name)!;

function screens(name: string): { file: string; status: TerminalStatus; text: string; answer?: string }[] {
  const dir = path.join(SCREENS, name);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".txt") && !f.endsWith(".answer.txt"))
    .map((file) => {
      const status = file.slice(0, -".txt".length).split(".").at(-1) as TerminalStatus;
      const answerFile = path.join(dir, file.replace(/\.txt$/, ".answer.txt"));
      const answer = fs.existsSync(answerFile) ? fs.readFileSync(answerFile, "utf8").replace(/\n$/, "") : undefined;
      return {
        file,
        status,
        text: fs.readFileSync(path.join(dir, file), "utf8"),
        ...(answer !== undefined ? { answer } : {}),
      };
    });
}

/** `idle.txt` / `completed.txt`, or a real capture named `<version>-idle.idle.txt` / `<version>-answer.completed.txt`. */
function mainScreen(name: string, status: "idle" | "completed"): ReturnType<typeof screens>[number] {
  const capture = status === "idle" ? "-idle.idle.txt" : "-answer.completed.txt";
  const found =
    screens(name).find((s) => s.file === `${status}.txt`) ?? screens(name).find((s) => s.file.endsWith(capture));
  expect(found, `${name} has ${status}.txt or *${capture}`).toBeDefined();
  return found!;
}

describe("recorded screens", () => {
  it("every real provider is registered and has a recorded screen for each of the five statuses", () => {
    // mock_cli is the mock agent under the Python CAO's name for it (docs/compatibility.md).
    expect([...providers.keys()].sort()).toEqual(["mock", "mock_cli", ...REAL].sort());
    expect({ ...providers.get("mock_cli"), name: "mock" }).toEqual(providers.get("mock"));
    for (const name of REAL) {
      const statuses = new Set(screens(name).map((s) => s.status));
      expect([...statuses].sort(), name).toEqual([...TERMINAL_STATUSES].sort());
    }
  });

  for (const name of REAL) {
    describe(name, () => {
      for (const screen of screens(name)) {
        it(`${screen.file} reads as ${screen.status}`, () => {
          expect(provider(name).getStatus(screen.text)).toBe(screen.status);
        });
      }

      it("has a recorded answer for its main completed screen", () => {
        expect(mainScreen(name, "completed").answer).toBeDefined();
      });

      for (const screen of screens(name).filter((s) => s.answer !== undefined)) {
        it(`extracts the last answer of ${screen.file}, without markers, tool output or prompt`, () => {
          expect(provider(name).extractLastAnswer(screen.text)).toBe(screen.answer);
        });
      }

      it("refuses to extract from a screen with no answer (the fresh idle screen)", () => {
        const idle = mainScreen(name, "idle");
        expect(() => provider(name).extractLastAnswer(idle.text)).toThrow(/no .*answer/i);
      });

      it("an empty screen is not mistaken for an idle agent", () => {
        expect(provider(name).getStatus("")).toBe("processing");
      });
    });
  }
});

/** Raw pane-log tails: ANSI redraws of a busy spinner, and the same followed by the idle redraw. */
const TAILS: Record<string, { busy: string; idle: string }> = {
  claude_code: {
    busy: "\x1b[2K\x1b[1G\x1b[38;5;174m✻\x1b[39m Pondering… \x1b[2m(12s · esc to interrupt)\x1b[22m",
    idle: "\x1b[2K✻ Worked for 38s\x1b[3B\x1b[1G❯\u00a0",
  },
  codex: {
    busy: "\x1b[2K• Working \x1b[2m(12s • esc to interrupt)\x1b[0m",
    idle: "\x1b[2K• Done.\r\n\x1b[2K  \x1b[2mWorked\x1b[1Cfor\x1b[1C3s • 18:35\x1b[0m",
  },
  gemini_cli: {
    busy: "\x1b[2K\x1b[36m⠏\x1b[0m Thinking… (esc to cancel, 8s)",
    idle: "\x1b[2K│ >   \x1b[2mType your message or @path/to/file\x1b[0m",
  },
  q_cli: {
    busy: "\x1b[2K\x1b[1G\x1b[38;5;10m⠹\x1b[0m Thinking...",
    idle: "\x1b[2K\x1b[1G\r\n\x1b[38;5;9m[cao-developer-1a2b3c4d] \x1b[38;5;10m> \x1b[0m",
  },
  copilot_cli: {
    busy: "\x1b[50;2H\x1b[94m◉\x1b[m \x1b[34mWo\x1b[94mrk\x1b[m\x1b[48;3H\x1b[?25h\x1b[?25l\r\n\r\n \x1b[34m◉\x1b[6Cng\x1b[m\x1b[48;3H",
    idle: "\x1b[50;2H\x1b[34m●\x1b[m \x1b[2A\x08\x1b[?25h\x1b[?25l\r\n\r\n \x1b[1m←\x1b[m open sidebar · Interactive · Allow All · ",
  },
  opencode_cli: {
    busy: "\x1b[?2026h\x1b[?25l\x1b[49;4H\x1b[38;5;238m\x1b[48;5;232m⬝\x1b[49;5H⬝\x1b[49;6H⬝\x1b[49;7H⬝\x1b[49;8H⬝\x1b[49;9H⬝\x1b[49;10H⬝\x1b[49;11H⬝\x1b[49;12H\x1b[0m",
    idle: "\x1b[?2026h\x1b[?25l\x1b[30;27H\x1b[38;5;8m\x1b[48;5;232m ·\x1b[30;29H 5.4s\x1b[0m\x1b[49;4H\x1b[38;5;8m\x1b[48;5;232m/srv/project\x1b[0m",
  },
  kiro_cli: { busy: "\x1b[2K\x1b[1G⠹ Thinking...", idle: "\x1b[2K\x1b[1G\r\n[cao-developer-1a2b3c4d] > " },
  qwen_cli: {
    busy: "\x1b[2K  \x1b[35m..\x1b[0m Distracting you with this witty phrase... \x1b[2m(2s · esc to cancel)\x1b[0m",
    idle: "\x1b[2K*   \x1b[2mType your message or @path/to/file\x1b[0m",
  },
};

describe("an Enter taken as a newline in the paste", () => {
  it("gemini_cli: the input still holding pasted text is unsubmitted; the empty input, a busy or starting screen are not", () => {
    const gemini = provider("gemini_cli");
    const text = (file: string): string => screens("gemini_cli").find((s) => s.file === file)!.text;
    expect(gemini.unsubmittedInput!(text("0.61.0-enter-taken-as-newline.completed.txt"))).toBe(true);
    for (const file of [
      "0.61.0-idle.idle.txt",
      "0.61.0-answer.completed.txt",
      "0.61.0-busy.processing.txt",
      "0.61.0-initializing.processing.txt",
      "0.61.0-shell-approval.waiting_user_answer.txt",
    ]) {
      expect(gemini.unsubmittedInput!(text(file)), file).toBe(false);
    }
  });
});

describe("idle test on the pane log tail", () => {
  for (const name of REAL) {
    it(`${name}: busy while its spinner is the last thing drawn, idle once the prompt is redrawn after it`, () => {
      const { busy, idle } = TAILS[name]!;
      const history = "x".repeat(500);
      expect(provider(name).idleTail(history + busy)).toBe(false);
      expect(provider(name).idleTail(history + busy + idle)).toBe(true);
      expect(provider(name).idleTail(history + idle)).toBe(true);
    });
  }
});

describe("idle test on raw redraws", () => {
  it("sees a busy marker drawn with cursor moves (CSI n C) between its words instead of spaces", () => {
    const busy = "\x1b[2K⏵⏵\x1b[1Cbypass\x1b[1Cpermissions\x1b[1Con\x1b[3C·\x1b[1Cesc\x1b[1Cto\x1b[1Cinterrupt";
    expect(provider("claude_code").idleTail("x".repeat(300) + busy)).toBe(false);
    expect(provider("claude_code").idleTail("x".repeat(300) + busy + "\x1b[2K✻\x1b[1CSautéed\x1b[1Cfor\x1b[1C4s")).toBe(
      true,
    );
  });
});

describe("launch: argv and MCP configuration", () => {
  function context(): LaunchContext {
    const profile = new ProfileStore(tempDir()).load("developer");
    return {
      terminalId: "1a2b3c4d",
      binaryPath: "/opt/agents/bin/the-cli",
      asRoot: false,
      profile: {
        ...profile,
        systemPrompt: `${profile.systemPrompt}\nIt's "quoted", has $HOME, \`backticks\` and a\nnewline.`,
        mcpServers: { docs: { command: "docs-mcp", args: ["--port", "0"] } },
      },
      workingDirectory: "/srv/project",
      caoHome: tempDir("cao-home-"),
      homeDir: tempDir("cao-user-home-"),
      caoMcpServer: {
        command: "/usr/bin/node",
        args: ["/opt/cao/dist/mcp/main.js"],
        env: { CAO_TERMINAL_ID: "1a2b3c4d", CAO_API_HOST: "127.0.0.1", CAO_API_PORT: "9889" },
      },
    };
  }

  /** An unrestricted agent (yolo): each CLI gets its bypass, as these launches' first checks expect (see tool-access tests). */
  const unrestricted = (ctx: LaunchContext): LaunchContext => ({ ...ctx, allowedTools: ["*"] });

  /** The argv as the terminal's shell sees it after CAO types the quoted command line. */
  function throughShell(argv: string[]): string[] {
    const line = ["printf", "%s\\0", ...argv].map(shellQuote).join(" ");
    return execFileSync("/bin/sh", ["-c", line], { encoding: "utf8" }).split("\0").slice(0, -1);
  }

  function checkCaoServer(server: any, ctx: LaunchContext): void {
    expect(server.command).toBe(ctx.caoMcpServer.command);
    expect(server.args).toEqual(ctx.caoMcpServer.args);
    expect(server.env).toMatchObject({ CAO_TERMINAL_ID: "1a2b3c4d", CAO_API_PORT: "9889" });
  }

  it("every launch survives the shell unchanged and writes only under $CAO_HOME/runtime/<id> or the given home", () => {
    for (const name of REAL) {
      const ctx = context();
      const plan = provider(name).buildLaunch(ctx);
      expect(throughShell(plan.argv), name).toEqual(plan.argv);
      for (const file of plan.files ?? []) {
        const underRuntime = file.path.startsWith(path.join(ctx.caoHome, "runtime", "1a2b3c4d") + path.sep);
        const underGivenHome = file.path.startsWith(ctx.homeDir + path.sep);
        expect(underRuntime || underGivenHome, `${name}: ${file.path}`).toBe(true);
        expect(file.path.startsWith(os.homedir() + path.sep) && !underGivenHome && !underRuntime).toBe(false);
      }
    }
  });

  it("claude_code: --mcp-config file with cao-mcp-server (strict), the profile's prompt appended; unrestricted, the bypass", () => {
    const ctx = context();
    const plan = provider("claude_code").buildLaunch(unrestricted(ctx));
    expect(plan.argv.slice(0, 2)).toEqual(["/opt/agents/bin/the-cli", "--dangerously-skip-permissions"]);
    const configPath = plan.argv[plan.argv.indexOf("--mcp-config") + 1]!;
    expect(plan.argv).toContain("--strict-mcp-config");
    expect(plan.argv[plan.argv.indexOf("--append-system-prompt") + 1]).toContain('It\'s "quoted"');
    const config = JSON.parse(plan.files!.find((f) => f.path === configPath)!.content);
    checkCaoServer(config.mcpServers["cao-mcp-server"], ctx);
    expect(config.mcpServers.docs).toEqual({ command: "docs-mcp", args: ["--port", "0"] });
  });

  it("codex: -c overrides for mcp_servers.cao-mcp-server (command, args, env) and developer_instructions", () => {
    const ctx = context();
    const { argv, files } = provider("codex").buildLaunch(unrestricted(ctx));
    expect(files ?? []).toEqual([]); // nothing written: ~/.codex/config.toml stays untouched
    const overrides = Object.fromEntries(
      argv.flatMap((arg, i) =>
        argv[i - 1] === "-c" ? [[arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]] : [],
      ),
    );
    expect(JSON.parse(overrides["mcp_servers.cao-mcp-server.command"]!)).toBe("/usr/bin/node");
    expect(JSON.parse(overrides["mcp_servers.cao-mcp-server.args"]!)).toEqual(["/opt/cao/dist/mcp/main.js"]);
    expect(overrides["mcp_servers.cao-mcp-server.env"]).toBe(
      '{ CAO_TERMINAL_ID = "1a2b3c4d", CAO_API_HOST = "127.0.0.1", CAO_API_PORT = "9889" }',
    );
    expect(JSON.parse(overrides["mcp_servers.docs.command"]!)).toBe("docs-mcp");
    expect(JSON.parse(overrides.developer_instructions!)).toContain("`backticks` and a\nnewline.");
    expect(argv.slice(0, 3)).toEqual([
      "/opt/agents/bin/the-cli",
      "--dangerously-bypass-approvals-and-sandbox",
      "--no-alt-screen",
    ]);
    // Per launch, whatever the user's config says: no daemon left behind, nothing phoning home at start.
    expect(argv).toContain("--no-daemon");
    expect(overrides).toMatchObject({
      check_for_update_on_startup: "false",
      "analytics.enabled": "false",
      "features.plugins": "false",
      "features.apps": "false",
      "features.remote_plugin": "false",
      "features.plugin_sharing": "false",
    });
  });

  it("codex: answers the folder-trust screen of its working directory, not the hooks review or an approval", () => {
    const codex = provider("codex");
    const screen = (file: string): string => fs.readFileSync(path.join(SCREENS, "codex", file), "utf8");
    const trust = screen("0.169.0-folder-trust.waiting_user_answer.txt");
    expect(codex.firstLaunchKeys!(trust)).toEqual(["Enter"]);
    const onSecondChoice = trust
      .replace("› 1. Trust and continue", "  1. Trust and continue")
      .replace("  2. Back to Agent Command Center", "› 2. Back to Agent Command Center");
    expect(codex.firstLaunchKeys!(onSecondChoice)).toEqual(["Up"]);
    expect(codex.firstLaunchKeys!(screen("0.169.0-hooks-review.waiting_user_answer.txt"))).toBeUndefined();
    expect(codex.firstLaunchKeys!(screen("0.169.0-approval.waiting_user_answer.txt"))).toBeUndefined();
    expect(codex.firstLaunchKeys!(screen("0.169.0-idle.idle.txt"))).toBeUndefined();
  });

  it("gemini_cli: a per-launch GEMINI_CLI_HOME whose settings are the user's plus cao-mcp-server (trusted), the rest of ~/.gemini linked", () => {
    const ctx = context();
    const userDir = path.join(ctx.homeDir, ".gemini");
    fs.mkdirSync(path.join(userDir, "tmp"), { recursive: true });
    fs.writeFileSync(
      path.join(userDir, "settings.json"),
      '{\n  // the user\'s own\n  "model": {"name": "gemini-2.5-pro"},\n  "mcpServers": {"mine": {"command": "mine-mcp"}}\n}\n',
    );
    fs.writeFileSync(path.join(userDir, "oauth_creds.json"), "{}");
    const { argv, files, env, links } = provider("gemini_cli").buildLaunch(unrestricted(ctx));
    const home = path.join(ctx.caoHome, "runtime", "1a2b3c4d", "gemini-home");
    expect(env).toEqual({ GEMINI_CLI_HOME: home });
    // --skip-trust: the working directory is trusted for this session, so no trust question (and no restart).
    expect(argv).toEqual(["/opt/agents/bin/the-cli", "--yolo", "--skip-trust"]);
    const settings = JSON.parse(files!.find((f) => f.path === path.join(home, ".gemini", "settings.json"))!.content);
    expect(settings.model).toEqual({ name: "gemini-2.5-pro" });
    expect(settings.mcpServers.mine).toEqual({ command: "mine-mcp" });
    checkCaoServer(settings.mcpServers["cao-mcp-server"], ctx);
    expect(settings.mcpServers["cao-mcp-server"].trust).toBe(true);
    // The profile's instructions: a context file of CAO's, after the user's GEMINI.md.
    expect(settings.context.fileName).toEqual(["GEMINI.md", "CAO_AGENT_PROFILE.md"]);
    expect(files!.find((f) => f.path === path.join(home, ".gemini", "CAO_AGENT_PROFILE.md"))!.content).toContain(
      'It\'s "quoted"',
    );
    expect(links!.map((l) => [path.relative(home, l.path), l.target]).sort()).toEqual([
      [".gemini/oauth_creds.json", path.join(userDir, "oauth_creds.json")],
      [".gemini/tmp", path.join(userDir, "tmp")],
    ]);
  });

  it("gemini_cli: removing the terminal's runtime dir removes the linked view, never the user's ~/.gemini", () => {
    const ctx = context();
    const userDir = path.join(ctx.homeDir, ".gemini");
    fs.mkdirSync(path.join(userDir, "tmp", "chats"), { recursive: true });
    fs.writeFileSync(path.join(userDir, "tmp", "chats", "a.json"), "{}");
    const { files, links } = provider("gemini_cli").buildLaunch(ctx);
    const runtime = path.join(ctx.caoHome, "runtime", "1a2b3c4d");
    writeLaunchFiles(runtime, files ?? [], links ?? []);
    expect(fs.readFileSync(path.join(runtime, "gemini-home", ".gemini", "tmp", "chats", "a.json"), "utf8")).toBe("{}");
    removeLaunchFiles(runtime);
    expect(fs.existsSync(runtime)).toBe(false);
    expect(fs.readFileSync(path.join(userDir, "tmp", "chats", "a.json"), "utf8")).toBe("{}");
  });

  it("qwen_cli: --mcp-config file with cao-mcp-server (trusted), YOLO approval mode when unrestricted, the profile's prompt appended", () => {
    const ctx = context();
    const { argv, files, env } = provider("qwen_cli").buildLaunch(unrestricted(ctx));
    expect(env).toBeUndefined(); // nothing of the user's ~/.qwen is replaced or written
    expect(argv.slice(0, 3)).toEqual(["/opt/agents/bin/the-cli", "--approval-mode", "yolo"]);
    const configPath = argv[argv.indexOf("--mcp-config") + 1]!;
    expect(configPath).toBe(path.join(ctx.caoHome, "runtime", "1a2b3c4d", "qwen-mcp.json"));
    const config = JSON.parse(files!.find((f) => f.path === configPath)!.content);
    checkCaoServer(config.mcpServers["cao-mcp-server"], ctx);
    expect(config.mcpServers["cao-mcp-server"].trust).toBe(true);
    expect(config.mcpServers.docs).toEqual({ command: "docs-mcp", args: ["--port", "0"] });
    expect(argv[argv.indexOf("--append-system-prompt") + 1]).toContain("`backticks` and a\nnewline.");
  });

  it("copilot_cli: --allow-all when unrestricted, cao-mcp-server through --additional-mcp-config @file, the profile's prompt as a custom instructions file", () => {
    const ctx = context();
    const { argv, files, env } = provider("copilot_cli").buildLaunch(unrestricted(ctx));
    const runtime = path.join(ctx.caoHome, "runtime", "1a2b3c4d");
    expect(argv.slice(0, 2)).toEqual(["/opt/agents/bin/the-cli", "--allow-all"]);
    const configArg = argv[argv.indexOf("--additional-mcp-config") + 1]!;
    expect(configArg).toBe(`@${path.join(runtime, "copilot-mcp.json")}`);
    const config = JSON.parse(files!.find((f) => f.path === configArg.slice(1))!.content);
    checkCaoServer(config.mcpServers["cao-mcp-server"], ctx);
    expect(config.mcpServers["cao-mcp-server"]).toMatchObject({ type: "local", tools: ["*"] });
    expect(config.mcpServers.docs).toMatchObject({ command: "docs-mcp", args: ["--port", "0"] });
    const instructionsDir = env!.COPILOT_CUSTOM_INSTRUCTIONS_DIRS!.split(",").at(-1)!;
    expect(instructionsDir).toBe(path.join(runtime, "copilot-instructions"));
    const instructions = files!.find(
      (f) => f.path === path.join(instructionsDir, "instructions", "cao-developer.instructions.md"),
    )!;
    expect(instructions.content).toContain("`backticks` and a\nnewline.");
  });

  it("opencode_cli: OPENCODE_CONFIG_CONTENT with cao-mcp-server, the permission bypass when unrestricted and the profile's prompt as an instructions file", () => {
    const ctx = context();
    const { argv, files, env } = provider("opencode_cli").buildLaunch(unrestricted(ctx));
    expect(argv).toEqual(["/opt/agents/bin/the-cli"]);
    const config = JSON.parse(env!.OPENCODE_CONFIG_CONTENT!);
    const server = config.mcp["cao-mcp-server"];
    expect(server).toMatchObject({
      type: "local",
      enabled: true,
      command: ["/usr/bin/node", "/opt/cao/dist/mcp/main.js"],
    });
    expect(server.environment).toMatchObject({ CAO_TERMINAL_ID: "1a2b3c4d", CAO_API_PORT: "9889" });
    expect(config.mcp.docs.command).toEqual(["docs-mcp", "--port", "0"]);
    expect(config.permission).toMatchObject({ bash: "allow", edit: "allow", external_directory: "allow" });
    expect(config.instructions).toEqual([path.join(ctx.caoHome, "runtime", "1a2b3c4d", "opencode-developer.md")]);
    expect(files!.find((f) => f.path === config.instructions[0])!.content).toContain("`backticks` and a\nnewline.");
  });

  for (const [name, binary, agentsDir] of [
    ["kiro_cli", "kiro-cli", ".kiro/agents"],
    ["q_cli", "q", ".aws/amazonq/cli-agents"],
  ] as const) {
    it(`${name}: a per-terminal agent definition in ~/${agentsDir} carrying cao-mcp-server, started with --agent (unrestricted: --trust-all-tools)`, () => {
      const ctx = context();
      const { argv, files } = provider(name).buildLaunch(unrestricted(ctx));
      expect(argv[0]).toBe(ctx.binaryPath);
      expect(argv.slice(argv.indexOf("--agent"), argv.indexOf("--agent") + 2)).toEqual([
        "--agent",
        "cao-developer-1a2b3c4d",
      ]);
      expect(argv).toContain("--trust-all-tools");
      expect(files!.map((f) => f.path)).toEqual([path.join(ctx.homeDir, agentsDir, "cao-developer-1a2b3c4d.json")]);
      const agent = JSON.parse(files![0]!.content);
      expect(agent.name).toBe("cao-developer-1a2b3c4d");
      expect(agent.prompt).toContain('It\'s "quoted"');
      checkCaoServer(agent.mcpServers["cao-mcp-server"], ctx);
      expect(agent.allowedTools).toContain("@cao-mcp-server");
    });
  }

  it("launch files outside the runtime dir are recorded there and removed with it", () => {
    const runtime = path.join(tempDir(), "runtime", "1a2b3c4d");
    const home = tempDir();
    const inside = path.join(runtime, "claude-mcp.json");
    const outside = path.join(home, ".kiro", "agents", "cao-developer-1a2b3c4d.json");
    writeLaunchFiles(runtime, [
      { path: inside, content: "{}" },
      { path: outside, content: "{}" },
    ]);
    expect(fs.statSync(outside).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(path.join(runtime, "external-files.json"), "utf8"))).toEqual([outside]);
    removeLaunchFiles(runtime);
    expect(fs.existsSync(outside)).toBe(false);
    expect(fs.existsSync(runtime)).toBe(false);
    expect(fs.existsSync(path.join(home, ".kiro", "agents"))).toBe(true); // only our file goes
  });
});

describe("a provider whose CLI is not installed", () => {
  it("is reported as not installed, and launching it is a 400 naming the missing binary, with no session left", async () => {
    const registry = new ProviderRegistry();
    expect(registry.installed("claude_code", { PATH: "" })).toBe(false);
    expect(registry.installed("mock", { PATH: "" })).toBe(true);
    const saved = process.env.PATH;
    const server = await startTestServer();
    try {
      // A PATH without any agent CLI (but with tmux and node, which the server itself needs).
      process.env.PATH = [
        path.dirname(process.execPath),
        path.dirname(execFileSync("sh", ["-c", "command -v tmux"], { encoding: "utf8" }).trim()),
      ].join(":");
      const response = await server.http("POST", "/sessions", {
        query: { provider: "codex", agent_profile: "developer", session_name: "nocli" },
      });
      expect(response.status).toBe(400);
      expect(response.body.detail).toBe("provider codex needs `codex` on PATH, and it is not there");
      expect((await server.http("GET", "/sessions")).body).toEqual([]);
    } finally {
      process.env.PATH = saved;
      await server.close();
    }
  });
});

describe("a terminal that fails to start", () => {
  it("leaves no launch files behind: neither its runtime dir nor a file it wrote elsewhere", async () => {
    const elsewhere = path.join(tempDir("cao-agent-home-"), "agents", "never-starts.json");
    let runtime = "";
    const neverStarts: Provider = {
      ...mockProvider,
      name: "never_starts",
      binary: "sh",
      buildLaunch(ctx) {
        runtime = path.join(ctx.caoHome, "runtime", ctx.terminalId);
        return {
          argv: ["sh", "-c", "sleep 30"], // runs, never shows a prompt (an agent that exits is refused sooner)
          files: [
            { path: path.join(runtime, "config.json"), content: "{}" },
            { path: elsewhere, content: "{}" },
          ],
        };
      },
      getStatus: () => "processing",
      startupTimeoutMs: 300,
    };
    const server = await startTestServer({ server: { providers: [mockProvider, neverStarts] } });
    try {
      const response = await server.http("POST", "/sessions", {
        query: { provider: "never_starts", agent_profile: "developer", session_name: "dud" },
      });
      expect(response.status).toBe(500);
      expect(response.body.detail).toMatch(/never_starts did not become ready within 300 ms/);
      expect(runtime).not.toBe("");
      expect(fs.existsSync(runtime)).toBe(false);
      expect(fs.existsSync(elsewhere)).toBe(false);
      expect((await server.http("GET", "/sessions")).body).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("first-launch screens CAO answers itself", () => {
  const claude = (file: string): string => fs.readFileSync(path.join(SCREENS, "claude_code", file), "utf8");

  it("claude_code 2.1.328: the folder trust select is moved from 'No, exit' to 'Yes, I trust this folder', then confirmed", () => {
    const trust = claude("2.1.328-trust.waiting_user_answer.txt");
    expect(provider("claude_code").firstLaunchKeys!(trust)).toEqual(["Down"]);
    const onYes = trust
      .replace("❯ No, exit", "  No, exit")
      .replace("  Yes, I trust this folder", "❯ Yes, I trust this folder");
    expect(onYes).not.toBe(trust);
    expect(provider("claude_code").firstLaunchKeys!(onYes)).toEqual(["Enter"]);
  });

  it("claude_code 2.1.328: the bypass-mode confirmation is answered 'Yes, I accept' (the mode CAO chose)", () => {
    const confirm = claude("2.1.328-bypass-confirm.waiting_user_answer.txt");
    expect(provider("claude_code").firstLaunchKeys!(confirm)).toEqual(["Down"]);
    expect(
      provider("claude_code").firstLaunchKeys!(
        confirm.replace("❯ No, exit", "  No, exit").replace("  Yes, I accept", "❯ Yes, I accept"),
      ),
    ).toEqual(["Enter"]);
  });

  it("claude_code 2.1.328: the API-key question and a tool's permission prompt are left to the user", () => {
    expect(provider("claude_code").firstLaunchKeys!(claude("2.1.328-api-key.waiting_user_answer.txt"))).toBeUndefined();
    expect(
      provider("claude_code").firstLaunchKeys!(claude("2.1.328-permission.waiting_user_answer.txt")),
    ).toBeUndefined();
    expect(provider("claude_code").firstLaunchKeys!(claude("2.1.328-idle.idle.txt"))).toBeUndefined();
  });
});

describe("an agent that took the Enter after a paste as a newline", () => {
  /** The mock agent, with an input reader that answers `held` for its first checks ("the text is still there"). */
  function holding(held: boolean[]): { provider: Provider; screens: string[] } {
    const screens: string[] = [];
    const provider: Provider = {
      ...mockProvider,
      name: "mock_holding",
      // Without hooks: their calls (awaited by the mock agent around each message) would shift when the extra Enters
      // show on screen, which is what this test counts.
      hookDialect: undefined,
      unsubmittedInput(screen) {
        screens.push(screen);
        return held[screens.length - 1] ?? false;
      },
    };
    return { provider, screens };
  }

  async function typeInto(provider: Provider): Promise<void> {
    const server = await startTestServer({ server: { providers: [mockProvider, provider] } });
    try {
      const created = await server.http("POST", "/sessions", {
        query: { provider: provider.name, agent_profile: "developer", session_name: "holding" },
      });
      expect(created.status).toBe(201);
      expect(
        (await server.http("POST", `/terminals/${created.body.id}/input`, { body: { message: "hello there" } })).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
  }

  it("CAO looks again after typing and presses Enter while the text is held, then stops", async () => {
    const { provider, screens } = holding([true, true, false]);
    await typeInto(provider);
    expect(screens).toHaveLength(3);
    expect(screens[0]).toContain("hello there");
    // Each Enter CAO pressed again shows as one more empty prompt of the mock agent.
    const emptyPromptsAtEnd = (screen: string): number => {
      const lines = screen.trimEnd().split("\n");
      let n = 0;
      while (n < lines.length && lines[lines.length - 1 - n]!.trim() === "mock>") n++;
      return n;
    };
    expect(screens.map(emptyPromptsAtEnd)).toEqual([1, 2, 3]);
  });

  it("CAO gives up after a few looks when the text never leaves the input", async () => {
    const { provider, screens } = holding(Array(20).fill(true));
    await typeInto(provider);
    expect(screens.length).toBeGreaterThan(1);
    expect(screens.length).toBeLessThan(20);
  });
});
