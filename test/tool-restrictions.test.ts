/**
 * Tool restrictions, the pure parts (docs/tool-restrictions.md): resolving role/allowedTools/requested tools into one
 * list, custom roles from settings.json, each provider's permission flags for the built-in roles and yolo, and the
 * mapping of each CLI's native tool names back to the vocabulary for the hook check.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AgentProfile, LaunchContext } from "../src/providers/provider.js";
import { ProviderRegistry } from "../src/providers/index.js";
import { BUILT_IN_ROLES } from "../src/providers/tool-vocabulary.js";
import { toolCallRefusal } from "../src/services/tool-restrictions/check-tool-call.js";
import { loadCustomRoles } from "../src/services/tool-restrictions/custom-roles.js";
import { resolveToolAccess } from "../src/services/tool-restrictions/resolve-tools.js";
import type { RecordedToolAccess } from "../src/services/tool-restrictions/tool-access-file.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";

afterAll(() => removeTempDirs());

const profile = (extra: Record<string, unknown> = {}, more: Partial<AgentProfile> = {}): AgentProfile => ({
  name: "p",
  description: "",
  systemPrompt: "",
  extra,
  ...more,
});

describe("resolveToolAccess: requested > allowedTools > role > developer", () => {
  it("nothing set: the developer role", () => {
    expect(resolveToolAccess({ profile: profile() })).toEqual({
      allowed: ["@builtin", "fs_*", "execute_bash", "web_fetch", "@cao-mcp-server"],
      source: "default",
      role: "developer",
    });
  });

  it("each built-in role has the Python CAO's list", () => {
    expect(resolveToolAccess({ profile: profile({ role: "supervisor" }) }).allowed).toEqual([
      "@cao-mcp-server",
      "fs_read",
      "fs_list",
    ]);
    expect(resolveToolAccess({ profile: profile({ role: "reviewer" }) })).toEqual({
      allowed: ["@builtin", "fs_read", "fs_list", "@cao-mcp-server"],
      source: "role",
      role: "reviewer",
    });
  });

  it("allowedTools beats role; a requested list beats both; yolo's ['*'] is unrestricted", () => {
    const both = profile({ role: "developer", allowedTools: ["fs_read", "execute_bash"] });
    expect(resolveToolAccess({ profile: both })).toEqual({ allowed: ["fs_read", "execute_bash"], source: "profile" });
    expect(resolveToolAccess({ profile: both, requested: ["fs_list"] })).toEqual({
      allowed: ["fs_list"],
      source: "requested",
    });
    expect(resolveToolAccess({ profile: both, requested: ["*"] }).allowed).toEqual(["*"]);
    expect(resolveToolAccess({ profile: profile({ allowedTools: ["*", "fs_read"] }) }).allowed).toEqual(["*"]);
  });

  it("the profile's own MCP servers are added as @name (not to an unrestricted list)", () => {
    const withServer = profile({ role: "reviewer" }, { mcpServers: { docs: { command: "docs-mcp" } } });
    expect(resolveToolAccess({ profile: withServer }).allowed).toEqual([
      "@builtin",
      "fs_read",
      "fs_list",
      "@cao-mcp-server",
      "@docs",
    ]);
    expect(resolveToolAccess({ profile: withServer, requested: ["*"] }).allowed).toEqual(["*"]);
  });

  it("custom roles are used by name; a built-in name keeps its built-in list", () => {
    const customRoles = { analyst: ["fs_read", "execute_bash"], reviewer: ["*"] };
    expect(resolveToolAccess({ profile: profile({ role: "analyst" }), customRoles })).toEqual({
      allowed: ["fs_read", "execute_bash"],
      source: "role",
      role: "analyst",
    });
    expect(resolveToolAccess({ profile: profile({ role: "reviewer" }), customRoles }).allowed).toEqual(
      BUILT_IN_ROLES.reviewer,
    );
  });

  it("an unknown role is a 400 naming it and the roles there are", () => {
    const call = () => resolveToolAccess({ profile: profile({ role: "auditor" }), customRoles: { analyst: [] } });
    expect(call).toThrow(
      'agent profile p: unknown role "auditor" (built-in roles: supervisor, developer, reviewer; custom roles: analyst)',
    );
    expect(() => call()).toThrow(expect.objectContaining({ statusCode: 400 }));
    // Even when a requested list would win: a typo in a profile is said, not hidden.
    expect(() => resolveToolAccess({ profile: profile({ role: "auditor" }), requested: ["*"] })).toThrow(
      /unknown role "auditor"/,
    );
  });

  it("a bad list is a 400 naming its field and the entry", () => {
    expect(() => resolveToolAccess({ profile: profile({ allowedTools: ["fs_read", "Bash"] }) })).toThrow(
      'agent profile p: allowedTools: unknown tool "Bash"',
    );
    expect(() => resolveToolAccess({ profile: profile({ allowedTools: "fs_read" }) })).toThrow(
      "agent profile p: allowedTools must be a list of tool names",
    );
    expect(() => resolveToolAccess({ profile: profile(), requested: ["fs_*", 3 as unknown as string] })).toThrow(
      "allowed_tools: 3 is not a string",
    );
    expect(() => resolveToolAccess({ profile: profile({ role: 7 }) })).toThrow(
      "agent profile p: role must be a non-empty string",
    );
  });
});

describe("loadCustomRoles: $CAO_HOME/settings.json", () => {
  const write = (content: string): string => {
    const file = path.join(tempDir("cao-settings-"), "settings.json");
    fs.writeFileSync(file, content);
    return file;
  };

  it("reads roles, or agents.roles (the Python CAO's two shapes); no file, no roles", () => {
    expect(loadCustomRoles(write(JSON.stringify({ roles: { analyst: ["fs_read"] } })))).toEqual({
      analyst: ["fs_read"],
    });
    expect(loadCustomRoles(write(JSON.stringify({ agents: { roles: { ops: ["execute_bash"] } } })))).toEqual({
      ops: ["execute_bash"],
    });
    expect(loadCustomRoles(write("{}"))).toEqual({});
    expect(loadCustomRoles(path.join(tempDir("cao-settings-"), "settings.json"))).toEqual({});
  });

  it("a file CAO cannot use is a 400 naming the file and the field", () => {
    const broken = write("{ roles: ");
    expect(() => loadCustomRoles(broken)).toThrow(`${broken} is not valid JSON`);
    const badRole = write(JSON.stringify({ roles: { analyst: ["fs_read", "rm"] } }));
    expect(() => loadCustomRoles(badRole)).toThrow(`${badRole}: roles.analyst: unknown tool "rm"`);
    const notMap = write(JSON.stringify({ roles: ["analyst"] }));
    expect(() => loadCustomRoles(notMap)).toThrow(`${notMap}: roles must map role names to tool lists`);
  });
});

describe("each provider's permission flags for the built-in roles and yolo", () => {
  const providers = new ProviderRegistry();
  const context = (allowedTools: string[], extra: Record<string, unknown> = {}): LaunchContext => ({
    terminalId: "1a2b3c4d",
    binaryPath: "/opt/cli",
    asRoot: true,
    profile: profile(extra),
    workingDirectory: "/srv/project",
    caoHome: "/tmp/cao-home-flags",
    homeDir: tempDir("cao-user-home-"),
    caoMcpServer: { command: "/usr/bin/node", args: ["mcp.js"] },
    allowedTools,
  });
  const roles = {
    supervisor: [...BUILT_IN_ROLES.supervisor!],
    developer: [...BUILT_IN_ROLES.developer!],
    reviewer: [...BUILT_IN_ROLES.reviewer!],
    yolo: ["*"],
  };
  const argvOf = (name: string, allowed: string[], extra?: Record<string, unknown>) =>
    providers.get(name).buildLaunch(context(allowed, extra)).argv;
  /** The value after `flag`, or undefined. */
  const after = (argv: string[], flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);

  it("claude_code: manual mode with native allow and deny lists; the bypass (and IS_SANDBOX as root) for yolo only", () => {
    const reviewer = argvOf("claude_code", roles.reviewer);
    expect(after(reviewer, "--permission-mode")).toBe("manual");
    expect(after(reviewer, "--allowedTools")).toBe("Glob,Grep,LS,NotebookRead,Read,mcp__cao-mcp-server");
    expect(after(reviewer, "--disallowedTools")).toBe(
      "Agent,Bash,BashOutput,Edit,KillShell,Monitor,MultiEdit,NotebookEdit,Task,WebFetch,WebSearch,Write",
    );
    expect(reviewer).not.toContain("--dangerously-skip-permissions");
    const supervisor = argvOf("claude_code", roles.supervisor);
    expect(after(supervisor, "--allowedTools")).toBe("Glob,Grep,LS,NotebookRead,Read,mcp__cao-mcp-server");
    const developer = argvOf("claude_code", roles.developer);
    expect(after(developer, "--allowedTools")).toBe(
      "Agent,Bash,BashOutput,Edit,Glob,Grep,KillShell,LS,Monitor,MultiEdit,NotebookEdit,NotebookRead,Read,Task,WebFetch,WebSearch,Write,mcp__cao-mcp-server",
    );
    expect(developer).not.toContain("--disallowedTools");
    const plan = providers.get("claude_code").buildLaunch(context(roles.developer));
    expect(plan.env?.IS_SANDBOX).toBeUndefined();
    const settings = JSON.parse(plan.files!.find((file) => file.path.endsWith("claude-settings.json"))!.content);
    expect(settings.skipDangerousModePermissionPrompt).toBeUndefined();

    const yolo = providers.get("claude_code").buildLaunch(context(roles.yolo));
    expect(yolo.argv[1]).toBe("--dangerously-skip-permissions");
    expect(yolo.argv).not.toContain("--permission-mode");
    expect(yolo.env).toEqual({ IS_SANDBOX: "1" });
  });

  it("claude_code: a profile's permissionMode replaces CAO's mode; an unknown one is a 400", () => {
    const auto = argvOf("claude_code", roles.reviewer, { permissionMode: "auto" });
    expect(after(auto, "--permission-mode")).toBe("auto");
    expect(after(auto, "--disallowedTools")).toContain("Write");
    expect(argvOf("claude_code", roles.developer, { permissionMode: "bypassPermissions" })[1]).toBe(
      "--dangerously-skip-permissions",
    );
    expect(() => argvOf("claude_code", roles.developer, { permissionMode: "trusting" })).toThrow(
      'agent profile p: permissionMode must be one of manual, default, acceptEdits, auto, dontAsk, plan, bypassPermissions (got "trusting")',
    );
  });

  it("copilot_cli: --allow-tool / --deny-tool per permission kind; --allow-all for yolo only", () => {
    const reviewer = argvOf("copilot_cli", roles.reviewer);
    expect(reviewer.slice(1, 7)).toEqual([
      "--deny-tool",
      "shell",
      "--deny-tool",
      "write",
      "--allow-tool",
      "cao-mcp-server",
    ]);
    expect(reviewer).not.toContain("--allow-all");
    const developer = argvOf("copilot_cli", roles.developer);
    expect(developer.slice(1, 8)).toEqual([
      "--allow-tool",
      "shell",
      "--allow-tool",
      "write",
      "--allow-tool",
      "cao-mcp-server",
      "--allow-all-urls",
    ]);
    expect(argvOf("copilot_cli", roles.supervisor).slice(1, 7)).toEqual(reviewer.slice(1, 7));
    expect(argvOf("copilot_cli", roles.yolo)[1]).toBe("--allow-all");
  });

  it("gemini_cli and qwen_cli: default approval mode, allowed tools pre-approved, the rest denied (a Gemini policy file, Qwen --exclude-tools)", () => {
    const plan = providers.get("gemini_cli").buildLaunch(context(roles.reviewer));
    expect(after(plan.argv, "--approval-mode")).toBe("default");
    const policy = plan.files!.find((file) => file.path === after(plan.argv, "--policy"))!.content;
    expect(policy).toBe(
      [
        "[[rule]]",
        'toolName = ["glob","grep_search","list_directory","read_file","read_many_files","search_file_content"]',
        'decision = "allow"',
        "priority = 900",
        "",
        "[[rule]]",
        'toolName = ["google_web_search","replace","run_shell_command","web_fetch","write_file"]',
        'decision = "deny"',
        "priority = 900",
        "",
      ].join("\n"),
    );
    expect(plan.argv).not.toContain("--yolo");
    expect(argvOf("gemini_cli", roles.yolo)[1]).toBe("--yolo");
    const qwen = argvOf("qwen_cli", roles.supervisor);
    expect(after(qwen, "--approval-mode")).toBe("default");
    expect(after(qwen, "--exclude-tools")).toBe("edit,replace,run_shell_command,web_fetch,web_search,write_file");
    expect(after(argvOf("qwen_cli", roles.developer), "--exclude-tools")).toBeUndefined();
    expect(after(argvOf("qwen_cli", roles.yolo), "--approval-mode")).toBe("yolo");
  });

  it("codex: never asks, in a sandbox that follows the role; the bypass for yolo only", () => {
    const reviewer = argvOf("codex", roles.reviewer);
    expect([after(reviewer, "--ask-for-approval"), after(reviewer, "--sandbox")]).toEqual(["never", "read-only"]);
    expect(after(argvOf("codex", roles.developer), "--sandbox")).toBe("workspace-write");
    expect(reviewer).not.toContain("--dangerously-bypass-approvals-and-sandbox");
    expect(argvOf("codex", roles.yolo)[1]).toBe("--dangerously-bypass-approvals-and-sandbox");
    // cao-mcp-server's tools are approved up front when the list names it; otherwise Codex refuses them.
    const approval = (argv: string[]) => argv.filter((arg) => arg.includes("default_tools_approval_mode"));
    expect(approval(reviewer)).toEqual(['mcp_servers.cao-mcp-server.default_tools_approval_mode="approve"']);
    expect(approval(argvOf("codex", ["fs_read"]))).toEqual([]);
  });

  it("kiro_cli and q_cli: the list as the agent definition's allowedTools; --trust-all-tools for yolo only", () => {
    for (const name of ["kiro_cli", "q_cli"]) {
      const reviewer = providers.get(name).buildLaunch(context(roles.reviewer));
      expect(reviewer.argv, name).not.toContain("--trust-all-tools");
      expect(JSON.parse(reviewer.files![0]!.content).allowedTools, name).toEqual(roles.reviewer);
      expect(providers.get(name).buildLaunch(context(roles.yolo)).argv, name).toContain("--trust-all-tools");
    }
  });

  it("opencode_cli: its permission config follows the role; the bypass for yolo only", () => {
    const permission = (allowed: string[]) =>
      JSON.parse(providers.get("opencode_cli").buildLaunch(context(allowed)).env!.OPENCODE_CONFIG_CONTENT!).permission;
    expect(permission(roles.reviewer)).toEqual({
      read: "allow",
      edit: "deny",
      bash: "deny",
      webfetch: "deny",
      external_directory: "ask",
      doom_loop: "ask",
    });
    expect(permission(roles.developer)).toMatchObject({ edit: "allow", bash: "allow", webfetch: "allow" });
    expect(permission(roles.yolo)).toMatchObject({ external_directory: "allow", doom_loop: "allow" });
  });
});

describe("the hook check: each CLI's native tool names read back into the vocabulary", () => {
  const providers = new ProviderRegistry();
  const access = (allowed: string[]): RecordedToolAccess => ({
    allowed,
    source: "role",
    role: "reviewer",
    mcpServers: ["cao-mcp-server", "docs"],
  });
  const refusal = (provider: string, allowed: string[], tool: string) =>
    toolCallRefusal(providers.get(provider).toolNames!, access(allowed), tool);
  const reviewer = [...BUILT_IN_ROLES.reviewer!];

  it("a reviewer: shells and writes refused with a reason naming the tool, its category and the list", () => {
    expect(refusal("claude_code", reviewer, "Write")).toBe(
      "denied by CAO tool restrictions: Write is fs_write, which this agent may not use (role reviewer: @builtin, fs_read, fs_list, @cao-mcp-server)",
    );
    for (const [provider, shell, write] of [
      ["codex", "Bash", "apply_patch"],
      ["gemini_cli", "run_shell_command", "write_file"],
      ["qwen_cli", "run_shell_command", "edit"],
      ["copilot_cli", "bash", "create"],
      ["opencode_cli", "bash", "write"],
      ["mock", "Bash", "Edit"],
    ] as const) {
      expect(refusal(provider, reviewer, shell), provider).toContain(`${shell} is execute_bash`);
      expect(refusal(provider, reviewer, write), provider).toContain(`${write} is fs_write`);
    }
  });

  it("reads, CAO's MCP tools and the CLI's own unnamed tools (@builtin) run for a reviewer", () => {
    for (const [provider, read, mcp] of [
      ["claude_code", "Read", "mcp__cao-mcp-server__handoff"],
      ["codex", "Read", "mcp__cao_mcp_server__assign"],
      ["gemini_cli", "read_file", "mcp_cao-mcp-server_handoff"],
      ["qwen_cli", "grep_search", "mcp__cao-mcp-server__handoff"],
      ["copilot_cli", "view", "cao-mcp-server-handoff"],
      ["opencode_cli", "read", "cao-mcp-server_handoff"],
    ] as const) {
      expect(refusal(provider, reviewer, read), provider).toBeUndefined();
      expect(refusal(provider, reviewer, mcp), provider).toBeUndefined();
      expect(refusal(provider, reviewer, "TodoWrite"), provider).toBeUndefined();
    }
  });

  it("a supervisor has no @builtin: the CLI's own other tools are refused; @name grants that server only", () => {
    const supervisor = [...BUILT_IN_ROLES.supervisor!];
    expect(refusal("claude_code", supervisor, "TodoWrite")).toContain("TodoWrite is @builtin");
    expect(refusal("claude_code", supervisor, "mcp__docs__search")).toContain("mcp__docs__search is @docs");
    expect(refusal("claude_code", [...supervisor, "@docs"], "mcp__docs__search")).toBeUndefined();
    expect(refusal("claude_code", ["*"], "Bash")).toBeUndefined();
  });
});
