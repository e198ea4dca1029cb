/**
 * plugins.d/tool-policy.ts, loaded by a real registry as a drop-in with its settings from a real config.yaml and
 * asked through the registry's gate as the agent-hook service asks it, with the tool shapes each agent CLI's hooks
 * report (docs/agent-hooks.md); the terminals' working directories come from a stand-in for CAO's HTTP API. Then the
 * plugin in a real `cao server` with a broken config: plugin_failed, naming the field.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TerminalKilledEvent, type PreToolUse } from "../src/plugins/api/index.js";
import type { PluginRegistry } from "../src/plugins/host/index.js";
import { HookTokens } from "../src/services/agent-hooks/hook-tokens.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { startServerProcess, stopServerProcesses } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const SOURCE = fs.readFileSync(path.resolve("plugins.d/tool-policy.ts"), "utf8");
const TOKEN = "tool-policy-test-token";

/** A stand-in for GET /terminals/:id/working-directory: the directories it knows, and what it was asked. */
const directories = new Map<string, string>();
const asked: string[] = [];
let api: http.Server;
let apiPort: number;

beforeAll(async () => {
  api = http.createServer((request, response) => {
    const id = /^\/terminals\/([^/]+)\/working-directory$/.exec(request.url ?? "")?.[1];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { detail: "missing or wrong token" });
    if (request.method !== "GET" || id === undefined) return send(404, { detail: "no such route" });
    asked.push(id);
    const dir = directories.get(id);
    return dir === undefined
      ? send(404, { detail: `terminal ${id} not found` })
      : send(200, { working_directory: dir });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiPort = (api.address() as AddressInfo).port;
});

// Each describe loads its registry once (beforeAll) and stops it in its afterAll; temp dirs go at the end.
afterAll(async () => {
  await stopRegistries();
  await stopServerProcesses();
  await new Promise((resolve) => api.close(resolve));
  removeTempDirs();
});

async function loadPolicy(configLines: string[], env: Record<string, string> = {}) {
  const home = tempDir("cao-tool-policy-");
  const plugins = path.join(home, "plugins");
  fs.mkdirSync(plugins);
  fs.writeFileSync(path.join(plugins, "tool-policy.ts"), SOURCE);
  fs.writeFileSync(
    path.join(home, "config.yaml"),
    ["plugins:", "  tool-policy:", "    config:", ...configLines.map((line) => `      ${line}`), ""].join("\n"),
  );
  const { registry, logs } = await startRegistry({
    home,
    env: { CAO_API_PORT: String(apiPort), CAO_API_TOKEN: TOKEN, ...env },
  });
  expect(registry.list().map((p) => [p.name, p.status, p.error])).toEqual([["tool-policy", "active", undefined]]);
  return { registry, logs };
}

type Asker = (
  toolName: string,
  toolInput: Record<string, unknown>,
  who?: { agentName?: string; terminalId?: string; provider?: string },
) => Promise<string>;

/** Asks the registry about one tool call; "ok", or the reason with the denying plugin's name. */
function askerOf(registry: PluginRegistry): Asker {
  return async (toolName, toolInput, who = {}) => {
    const op: PreToolUse = {
      point: "pre_tool_use",
      sessionId: "cao-tp",
      terminalId: who.terminalId ?? "aaaa0001",
      agentName: who.agentName ?? "developer",
      provider: who.provider ?? "claude_code",
      toolName,
      toolInput,
    };
    const verdict = await registry.intercept(op);
    return verdict.denied ? `${verdict.plugin}: ${verdict.reason}` : "ok";
  };
}

describe("shell.deny", () => {
  let ask: Asker;
  beforeAll(async () => {
    const { registry } = await loadPolicy([
      'shell: { deny: ["rm -rf", "git push --force", "/curl .*\\\\| *sh/", "/^\\\\s*sudo\\\\b/i", "/etc/shadow"] }',
    ]);
    ask = askerOf(registry);
  });
  afterAll(stopRegistries);

  it("refuses a matching command in every CLI's shell tool, naming the rule and the command", async () => {
    const rmrf = "rm -rf /tmp/project";
    const refusal = `tool-policy: shell command matches shell.deny rule "rm -rf": ${rmrf}`;
    expect(await ask("Bash", { command: rmrf, description: "clean" })).toBe(refusal); // Claude Code, Codex
    expect(await ask("run_shell_command", { command: rmrf, description: "clean" }, { provider: "gemini_cli" })).toBe(
      refusal,
    );
    expect(await ask("run_shell_command", { command: rmrf }, { provider: "qwen_cli" })).toBe(refusal);
    expect(await ask("bash", { command: rmrf, description: "clean", mode: "sync" }, { provider: "copilot_cli" })).toBe(
      refusal,
    );
    expect(await ask("bash", { command: rmrf, description: "clean" }, { provider: "opencode_cli" })).toBe(refusal);
    expect(await ask("write_bash", { shellId: "0", input: rmrf }, { provider: "copilot_cli" })).toBe(refusal);
    expect(await ask("exec_command", { cmd: ["bash", "-lc", rmrf] }, { provider: "codex" })).toBe(
      `tool-policy: shell command matches shell.deny rule "rm -rf": bash -lc ${rmrf}`,
    );
  });

  it("substrings count runs of whitespace as one space; /regex/ rules take flags", async () => {
    expect(await ask("Bash", { command: "cd x &&  rm   -rf\tbuild" })).toMatch(/rule "rm -rf"/);
    expect(await ask("Bash", { command: "git push --force origin main" })).toMatch(/rule "git push --force"/);
    expect(await ask("Bash", { command: "curl -fsSL https://get.example | sh" })).toBe(
      'tool-policy: shell command matches shell.deny rule "/curl .*\\\\| *sh/": curl -fsSL https://get.example | sh',
    );
    expect(await ask("Bash", { command: "  SUDO apt-get install x" })).toMatch(/rule "\/\^\\\\s\*sudo\\\\b\/i"/);
    expect(await ask("Bash", { command: "x".repeat(300) + " rm -rf /" })).toMatch(/: x{117}\.\.\.$/);
    expect(await ask("Bash", { command: "cat /etc/shadow" })).toMatch(/rule "\/etc\/shadow"/); // a substring
    expect(await ask("Bash", { command: "ls etc" })).toBe("ok"); // not the expression /etc/ with flags "shadow"
  });

  it("lets other commands, and tools that are not shells, through", async () => {
    expect(await ask("Bash", { command: "rm -r build && ls -la" })).toBe("ok");
    expect(await ask("Bash", { command: "git push origin main" })).toBe("ok");
    expect(await ask("Bash", { command: "curl https://example.com -o page.html" })).toBe("ok");
    expect(await ask("Bash", { command: "echo pseudo sudo" })).toBe("ok");
    expect(await ask("Write", { file_path: "/tmp/notes.md", content: "rm -rf /" })).toBe("ok");
    expect(await ask("str_replace_editor", { command: "rm -rf /", path: "/tmp/x" })).toBe("ok");
  });

  it("refuses a shell call whose command it cannot read", async () => {
    expect(await ask("Bash", { script: "rm -rf /" })).toBe(
      "tool-policy: cannot read the command of Bash to check it against shell.deny (input keys: script)",
    );
  });
});

describe("writes.insideWorkingDirectory", () => {
  let ask: Asker;
  let registry: PluginRegistry;
  let work: string;
  let outside: string;
  beforeAll(async () => {
    const root = fs.realpathSync(tempDir("cao-tool-policy-dirs-"));
    work = path.join(root, "work");
    outside = path.join(root, "outside");
    fs.mkdirSync(path.join(work, "src"), { recursive: true });
    fs.mkdirSync(path.join(outside, "sub"), { recursive: true });
    fs.symlinkSync(outside, path.join(work, "escape")); // a link out of the working directory
    fs.symlinkSync(path.join(outside, "sub"), path.join(work, "hop")); // hop/.. is outside, not the working directory
    fs.symlinkSync(path.join(outside, "not-yet"), path.join(work, "dangling")); // writing it creates outside/not-yet
    fs.symlinkSync(path.join(work, "src"), path.join(outside, "into-work")); // a link into it: fine
    fs.symlinkSync(work, path.join(root, "work-link"));
    directories.set("aaaa0001", work);
    directories.set("bbbb0002", path.join(root, "work-link")); // the terminal was started through a link
    ({ registry } = await loadPolicy(["writes: { insideWorkingDirectory: true }"], { HOME: path.join(root, "home") }));
    ask = askerOf(registry);
  });
  afterAll(stopRegistries);

  const outsideRefusal = (tool: string, file: string, really?: string) =>
    `tool-policy: ${tool} writes ${file}${really ? ` (really ${really})` : ""}, outside the working directory ${work} (writes.insideWorkingDirectory)`;

  it("Claude Code: Write, Edit, MultiEdit, NotebookEdit", async () => {
    const inFile = path.join(work, "src", "a.ts");
    const outFile = path.join(outside, "a.ts");
    for (const tool of ["Write", "Edit", "MultiEdit"]) {
      expect(await ask(tool, { file_path: inFile, content: "x", old_string: "a", new_string: "b" })).toBe("ok");
      expect(await ask(tool, { file_path: outFile, content: "x", edits: [] })).toBe(outsideRefusal(tool, outFile));
    }
    expect(await ask("NotebookEdit", { notebook_path: path.join(work, "n.ipynb"), new_source: "" })).toBe("ok");
    expect(await ask("NotebookEdit", { notebook_path: "/etc/n.ipynb", new_source: "" })).toBe(
      outsideRefusal("NotebookEdit", "/etc/n.ipynb"),
    );
  });

  it("Gemini CLI and Qwen Code: write_file, replace, edit, notebook_edit; relative paths from the working directory", async () => {
    const gemini = { provider: "gemini_cli" };
    expect(await ask("write_file", { file_path: "src/new.ts", content: "x" }, gemini)).toBe("ok");
    expect(await ask("replace", { file_path: "src/../README.md", old_string: "a", new_string: "b" }, gemini)).toBe(
      "ok",
    );
    expect(await ask("replace", { file_path: "../outside/x.md", old_string: "a", new_string: "b" }, gemini)).toBe(
      outsideRefusal("replace", "../outside/x.md", path.join(outside, "x.md")),
    );
    const qwen = { provider: "qwen_cli" };
    expect(await ask("edit", { file_path: path.join(work, "a.md"), old_string: "a", new_string: "b" }, qwen)).toBe(
      "ok",
    );
    expect(await ask("write_file", { file_path: "/etc/cron.d/x", content: "x" }, qwen)).toBe(
      outsideRefusal("write_file", "/etc/cron.d/x"),
    );
    expect(await ask("notebook_edit", { notebook_path: path.join(outside, "n.ipynb") }, qwen)).toBe(
      outsideRefusal("notebook_edit", path.join(outside, "n.ipynb")),
    );
  });

  it("Codex: apply_patch, every file its patch names, also inside a shell command", async () => {
    const codex = { provider: "codex" };
    const patch = (...headers: string[]) =>
      ["*** Begin Patch", ...headers.flatMap((h) => [h, "@@", "-a", "+b"]), "*** End Patch"].join("\n");
    expect(
      await ask("apply_patch", { command: patch("*** Add File: src/new.ts", "*** Update File: README.md") }, codex),
    ).toBe("ok");
    expect(
      await ask(
        "apply_patch",
        { command: patch("*** Update File: README.md", "*** Delete File: ../outside/old.ts") },
        codex,
      ),
    ).toBe(outsideRefusal("apply_patch", "../outside/old.ts", path.join(outside, "old.ts")));
    expect(
      await ask("apply_patch", { command: patch("*** Update File: a.ts", "*** Move to: /tmp/moved.ts") }, codex),
    ).toBe(outsideRefusal("apply_patch", "/tmp/moved.ts"));
    expect(await ask("apply_patch", { input: ["apply_patch", patch("*** Add File: /etc/x")] }, codex)).toBe(
      outsideRefusal("apply_patch", "/etc/x"),
    );
    expect(
      await ask("Bash", { command: `apply_patch <<'EOF'\n${patch("*** Add File: /etc/profile.d/x.sh")}\nEOF` }, codex),
    ).toBe(outsideRefusal("Bash", "/etc/profile.d/x.sh"));
    expect(await ask("Bash", { command: "echo no patch here > /tmp/x" }, codex)).toBe("ok"); // shells are not parsed
  });

  it("opencode: write, edit, multiedit, apply_patch (filePath, patchText)", async () => {
    const opencode = { provider: "opencode_cli" };
    for (const tool of ["write", "edit", "multiedit"]) {
      expect(await ask(tool, { filePath: path.join(work, "f.ts"), content: "x" }, opencode)).toBe("ok");
      expect(await ask(tool, { filePath: path.join(outside, "f.ts"), content: "x" }, opencode)).toBe(
        outsideRefusal(tool, path.join(outside, "f.ts")),
      );
    }
    const patchText = "*** Begin Patch\n*** Add File: ../outside/p.ts\n+x\n*** End Patch";
    expect(await ask("apply_patch", { patchText }, opencode)).toBe(
      outsideRefusal("apply_patch", "../outside/p.ts", path.join(outside, "p.ts")),
    );
  });

  it("Copilot: create, edit, str_replace_editor (path); its view command is a read", async () => {
    const copilot = { provider: "copilot_cli" };
    expect(await ask("create", { path: path.join(work, "c.ts"), file_text: "x" }, copilot)).toBe("ok");
    expect(await ask("create", { path: path.join(outside, "c.ts"), file_text: "x" }, copilot)).toBe(
      outsideRefusal("create", path.join(outside, "c.ts")),
    );
    expect(await ask("edit", { path: "/etc/hosts", old_str: "a", new_str: "b" }, copilot)).toBe(
      outsideRefusal("edit", "/etc/hosts"),
    );
    expect(await ask("str_replace_editor", { command: "view", path: "/etc/hosts" }, copilot)).toBe("ok");
    expect(await ask("str_replace_editor", { command: "create", path: "/etc/hosts", file_text: "" }, copilot)).toBe(
      outsideRefusal("str_replace_editor", "/etc/hosts"),
    );
  });

  it("follows symbolic links (dangling ones too) and applies .. to where a link really leads; ~ is HOME", async () => {
    const viaEscape = path.join(work, "escape", "x.ts");
    expect(await ask("Write", { file_path: viaEscape, content: "" })).toBe(
      outsideRefusal("Write", viaEscape, path.join(outside, "x.ts")),
    );
    const viaHop = path.join(work, "hop") + "/../x.ts";
    expect(await ask("Write", { file_path: viaHop, content: "" })).toBe(
      outsideRefusal("Write", viaHop, path.join(outside, "x.ts")),
    );
    const dangling = path.join(work, "dangling");
    expect(await ask("Write", { file_path: dangling, content: "" })).toBe(
      outsideRefusal("Write", dangling, path.join(outside, "not-yet")),
    );
    expect(await ask("Write", { file_path: path.join(outside, "into-work", "y.ts"), content: "" })).toBe("ok");
    expect(await ask("Write", { file_path: "~/.bashrc", content: "" })).toMatch(
      /^tool-policy: Write writes ~\/\.bashrc \(really .*\/home\/\.bashrc\), outside the working directory/,
    );
    expect(await ask("Write", { file_path: `${work}-sibling/x`, content: "" })).toBe(
      outsideRefusal("Write", `${work}-sibling/x`),
    );
  });

  it("a working directory reached through a link is compared where it really is", async () => {
    const other = { terminalId: "bbbb0002" };
    expect(await ask("Write", { file_path: path.join(work, "z.ts"), content: "" }, other)).toBe("ok");
    expect(await ask("write_file", { file_path: "z.ts", content: "" }, other)).toBe("ok");
    expect(await ask("Write", { file_path: path.join(outside, "z.ts"), content: "" }, other)).toBe(
      outsideRefusal("Write", path.join(outside, "z.ts")),
    );
  });

  it("reads, MCP calls and unknown tools are not writes; a write tool whose target it cannot tell is refused", async () => {
    expect(await ask("Read", { file_path: "/etc/passwd" })).toBe("ok");
    expect(await ask("read_file", { file_path: "/etc/passwd" }, { provider: "gemini_cli" })).toBe("ok");
    expect(await ask("mcp__cao-mcp-server__send_message", { message: "hi", receiver_id: "x" })).toBe("ok");
    expect(await ask("WebFetch", { url: "https://example.com" })).toBe("ok");
    expect(await ask("apply_patch", { input: "not a patch" }, { provider: "codex" })).toBe(
      "tool-policy: cannot tell which file apply_patch writes (input keys: input), so writes.insideWorkingDirectory refuses it",
    );
  });

  it("asks the server once per terminal (with CAO_API_TOKEN), again after terminal_killed", async () => {
    asked.length = 0;
    directories.set("cccc0003", work);
    const third = { terminalId: "cccc0003" };
    for (let i = 0; i < 3; i++) expect(await ask("Write", { file_path: "f.ts", content: "" }, third)).toBe("ok");
    expect(await ask("Bash", { command: "ls" }, { terminalId: "dddd0004" })).toBe("ok"); // no write: nothing asked
    expect(asked).toEqual(["cccc0003"]);
    registry.dispatch(new TerminalKilledEvent({ sessionId: "cao-tp", terminalId: "cccc0003", agentName: "developer" }));
    await registry.drain(5000);
    expect(await ask("Write", { file_path: "f.ts", content: "" }, third)).toBe("ok");
    expect(asked).toEqual(["cccc0003", "cccc0003"]);
  });

  it("a working directory it cannot learn refuses the write (failClosed), saying why, and is asked again next time", async () => {
    expect(await ask("Write", { file_path: "/tmp/x", content: "" }, { terminalId: "eeee0005" })).toBe(
      `tool-policy: interceptor check failed (failClosed): rejected: cannot learn the working directory of terminal eeee0005: GET http://127.0.0.1:${apiPort}/terminals/eeee0005/working-directory answered 404 (terminal eeee0005 not found)`,
    );
    directories.set("eeee0005", work);
    expect(await ask("Write", { file_path: "x", content: "" }, { terminalId: "eeee0005" })).toBe("ok");
  });
});

describe("profiles", () => {
  let ask: Asker;
  beforeAll(async () => {
    const { registry } = await loadPolicy([
      "profiles:",
      "  reviewer: { allow: [Read, Grep, Glob] }",
      "  analyst: { allow: [read, mcp] }",
      '  developer: { deny: [WebFetch, "mcp__github__*", shell], allow: ["*"] }',
    ]);
    ask = askerOf(registry);
  });
  afterAll(stopRegistries);

  it("an allow-list of tool names as the CLI says them", async () => {
    const reviewer = { agentName: "reviewer" };
    for (const tool of ["Read", "Grep", "Glob"]) expect(await ask(tool, { pattern: "x" }, reviewer)).toBe("ok");
    expect(await ask("Bash", { command: "ls" }, reviewer)).toBe(
      "tool-policy: tool Bash (shell) is not allowed for agent profile reviewer (profiles.reviewer.allow: Read, Grep, Glob)",
    );
    expect(await ask("Write", { file_path: "/tmp/x" }, reviewer)).toMatch(/^tool-policy: tool Write \(write\) is not/);
    expect(await ask("read_file", { file_path: "x" }, { ...reviewer, provider: "gemini_cli" })).toBe(
      "tool-policy: tool read_file (read) is not allowed for agent profile reviewer (profiles.reviewer.allow: Read, Grep, Glob)",
    );
    expect(await ask("mcp__cao-mcp-server__send_message", {}, reviewer)).toMatch(/is not allowed for agent profile/);
  });

  it("classes: read and mcp cover every CLI's spelling", async () => {
    const analyst = (provider: string) => ({ agentName: "analyst", provider });
    const allowed: Array<[string, string]> = [
      ["Read", "claude_code"],
      ["Grep", "claude_code"],
      ["mcp__cao-mcp-server__send_message", "claude_code"],
      ["read_file", "gemini_cli"],
      ["grep_search", "qwen_cli"],
      ["list_directory", "gemini_cli"],
      ["mcp_cao-mcp-server_send_message", "gemini_cli"],
      ["view", "copilot_cli"],
      ["cao-mcp-server-send_message", "copilot_cli"],
      ["read", "opencode_cli"],
      ["cao-mcp-server_send_message", "opencode_cli"],
    ];
    for (const [tool, provider] of allowed)
      expect([tool, await ask(tool, {}, analyst(provider))]).toEqual([tool, "ok"]);
    const refused: Array<[string, string]> = [
      ["Bash", "claude_code"],
      ["Edit", "claude_code"],
      ["run_shell_command", "gemini_cli"],
      ["write_file", "qwen_cli"],
      ["apply_patch", "codex"],
      ["bash", "copilot_cli"],
      ["create", "copilot_cli"],
      ["write", "opencode_cli"],
      ["WebFetch", "claude_code"],
    ];
    for (const [tool, provider] of refused)
      expect(await ask(tool, { command: "ls", file_path: "x" }, analyst(provider))).toMatch(
        new RegExp(`^tool-policy: tool ${tool}( \\((shell|write)\\))? is not allowed for agent profile analyst`),
      );
  });

  it("deny wins over allow: names, * patterns and classes", async () => {
    expect(await ask("WebFetch", { url: "x" })).toBe(
      "tool-policy: tool WebFetch is denied for agent profile developer (profiles.developer.deny: WebFetch)",
    );
    expect(await ask("mcp__github__create_issue", {})).toBe(
      "tool-policy: tool mcp__github__create_issue (mcp) is denied for agent profile developer (profiles.developer.deny: mcp__github__*)",
    );
    expect(await ask("run_shell_command", { command: "ls" }, { provider: "qwen_cli" })).toBe(
      "tool-policy: tool run_shell_command (shell) is denied for agent profile developer (profiles.developer.deny: shell)",
    );
    expect(await ask("mcp__github_mirror__x", {})).toBe("ok"); // the pattern is anchored
    expect(await ask("Edit", { file_path: "/anywhere" })).toBe("ok");
  });

  it("a profile with no entry, and a profile named like an Object property, are not restricted", async () => {
    expect(await ask("Bash", { command: "rm -rf /" }, { agentName: "supervisor" })).toBe("ok");
    expect(await ask("Bash", { command: "ls" }, { agentName: "constructor" })).toBe("ok");
    expect(await ask("Bash", { command: "ls" }, { agentName: "__proto__" })).toBe("ok");
  });
});

it("no config: every tool is allowed and nothing is asked of the server", async () => {
  asked.length = 0;
  const home = tempDir("cao-tool-policy-none-");
  fs.mkdirSync(path.join(home, "plugins"));
  fs.writeFileSync(path.join(home, "plugins", "tool-policy.ts"), SOURCE);
  const { registry } = await startRegistry({ home, env: { CAO_API_PORT: String(apiPort), CAO_API_TOKEN: TOKEN } });
  const ask = askerOf(registry);
  expect(await ask("Bash", { command: "rm -rf /" })).toBe("ok");
  expect(await ask("Write", { file_path: "/etc/passwd", content: "" })).toBe("ok");
  expect(asked).toEqual([]);
  await stopRegistries();
});

describe("an invalid config, in a real cao server", () => {
  afterEach(stopServerProcesses);

  it("fails the plugin (plugin_failed) with every bad field named, broken regular expressions by their rule", async () => {
    const home = tempDir("cao-tool-policy-server-");
    fs.writeFileSync(
      path.join(home, "config.yaml"),
      [
        "plugins:",
        "  tool-policy:",
        "    config:",
        '      shell: { deny: ["rm -rf", "/curl (.*/", "/sudo/g"], allow: [ls] }',
        "      writes: { insideWorkingDirectory: yes please }",
        "      profiles: { reviewer: { allow: Read }, tester: [Bash], other: { allow: [Read], only: [x] } }",
        "      network: { deny: [curl] }",
        "",
      ].join("\n"),
    );
    const server = await startServerProcess({ home, plugins: { "tool-policy.ts": SOURCE } });
    const plugins = await server.http("GET", "/plugins");
    const row = (plugins.body as Array<{ name: string; status: string; error?: string }>).find(
      (p) => p.name === "tool-policy",
    );
    expect(row?.status).toBe("failed");
    expect(row?.error?.split("; ")).toEqual([
      "invalid config: config.shell.deny[1]: Invalid regular expression: /curl (.*/: Unterminated group",
      "config.shell.deny[2]: /sudo/g: flags g and y are not supported (use i, m, s, u)",
      "config.shell.allow: unknown setting (known: deny)",
      "config.writes.insideWorkingDirectory: expected true or false",
      "config.profiles.reviewer.allow: expected a list of tool names, * patterns or classes (shell, write, read, mcp)",
      "config.profiles.tester: expected a mapping with allow and/or deny",
      "config.profiles.other.only: expected allow or deny",
      "config.network: unknown setting (known: shell, writes, profiles)",
    ]);
    const failed = await server.http("GET", "/events/history?types=plugin_failed");
    expect((failed.body as Array<Record<string, unknown>>).map((e) => [e.plugin, e.error])).toEqual([
      ["tool-policy", row?.error],
    ]);
    // Not loaded, so nothing tells agents' hooks to fail closed.
    expect(fs.existsSync(path.join(home, "runtime", "pre-tool-use-fail-closed"))).toBe(false);
  });

  it("a valid config: active, agents' hooks told to fail closed; the mock agent's rm -rf and hook calls decided", async () => {
    const home = tempDir("cao-tool-policy-server-");
    fs.writeFileSync(
      path.join(home, "config.yaml"),
      'plugins:\n  tool-policy:\n    config:\n      shell: { deny: ["rm -rf"] }\n      writes: { insideWorkingDirectory: true }\n',
    );
    const server = await startServerProcess({
      home,
      plugins: { "tool-policy.ts": SOURCE },
      env: { CAO_MOCK_DELAY_MS: "50" },
    });
    const row = (await server.http("GET", "/plugins")).body.find((p: { name: string }) => p.name === "tool-policy");
    expect(row).toMatchObject({ status: "active", hooks: expect.arrayContaining(["pre_tool_use", "terminal_killed"]) });
    expect(fs.existsSync(path.join(home, "runtime", "pre-tool-use-fail-closed"))).toBe(true);

    // The mock agent runs `/sh <command>` as Claude Code runs Bash, asking through the same hook.
    const work = fs.realpathSync(tempDir("cao-tool-policy-work-"));
    const created = await server.http(
      "POST",
      `/sessions?provider=mock&agent_profile=developer&working_directory=${encodeURIComponent(work)}`,
    );
    expect(created.status).toBe(201);
    const { id, session_name: session } = created.body as { id: string; session_name: string };
    const doomed = path.join(work, "doomed");
    fs.mkdirSync(doomed);
    server.tmux("send-keys", "-t", session, "-l", `/sh rm -rf ${doomed}`);
    server.tmux("send-keys", "-t", session, "Enter");
    let screen = "";
    await waitFor(
      () => /hook error|ran: rm/.test((screen = server.tmux("capture-pane", "-p", "-J", "-t", session))),
      30_000,
      "the mock agent's answer",
      100,
    );
    expect(screen).toContain(`denied by plugin tool-policy: shell command matches shell.deny rule "rm -rf": rm -rf`);
    expect(fs.existsSync(doomed)).toBe(true);

    // Write calls in Claude Code's hook format, through the real route: the working directory is the server's answer.
    const token = HookTokens.open(path.join(home, "hook-key")).tokenFor(id);
    const preToolUse = (file_path: string) =>
      server.http(
        "POST",
        `/terminals/${id}/agent-hooks`,
        {
          hook_event_name: "PreToolUse",
          tool_name: "Write",
          tool_input: { file_path, content: "x" },
          tool_use_id: "t1",
        },
        { "x-cao-hook-token": token },
      );
    expect(await preToolUse(path.join(work, "inside.txt"))).toEqual({ status: 200, body: {} });
    const outside = path.join(path.dirname(work), "outside.txt");
    expect(await preToolUse(outside)).toEqual({
      status: 200,
      body: {
        hookSpecificOutput: {
          hookEventName: "PreToolUse",
          permissionDecision: "deny",
          permissionDecisionReason: `denied by plugin tool-policy: Write writes ${outside}, outside the working directory ${work} (writes.insideWorkingDirectory)`,
        },
      },
    });
  });
});
