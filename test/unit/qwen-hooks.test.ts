/**
 * Qwen Code's hook dialect on what Qwen Code 0.24.4 really sent and wrote (test/fixtures/hooks/qwen_cli/): the hook
 * calls of a two-turn TUI session with a shell tool call in each (then a failed command's PostToolUseFailure and the
 * startup notification of `-p` runs), and that session's chat transcript. Also the per-launch settings layer.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProfileStore } from "../../src/profiles/profiles.js";
import { UNMODIFIABLE_INPUT_REASON } from "../../src/providers/hook-dialect.js";
import { qwenDialect } from "../../src/providers/hook-dialects/qwen.js";
import type { HookEndpoint, LaunchContext } from "../../src/providers/provider.js";
import { qwenCliProvider } from "../../src/providers/qwen-cli.js";
import { qwenHookLayer, qwenSystemDefaultsPath } from "../../src/providers/qwen-settings.js";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";

afterAll(removeTempDirs);

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "hooks", "qwen_cli");
const calls = fs
  .readFileSync(path.join(FIXTURES, "0.24.4-hook-calls.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const chat = fs.readFileSync(path.join(FIXTURES, "0.24.4-chat-two-turns.jsonl"), "utf8");
const SESSION = "91f09375-a661-413f-9e0e-691aa1f83d06";

const endpoint: HookEndpoint = {
  url: "http://127.0.0.1:9889/terminals/1a2b3c4d/agent-hooks",
  tokenHeader: "X-CAO-Hook-Token",
  tokenVariable: "CAO_HOOK_TOKEN",
  command: "/opt/cao/bin/cao-hook",
  failClosed: false,
  timeoutSeconds: 30,
};

describe("qwen dialect: reading real hook calls", () => {
  const read = calls.map((call) => qwenDialect.read(call, undefined));
  const [, prompt, pre, post, onward, stop, idle] = read;

  it("a prompt starts a turn; the UserPromptSubmit Qwen fires again when it sends a tool's result on does not", () => {
    expect(prompt).toEqual({ kind: "turn_started", prompt: "PLAIN tuiA" });
    expect(onward).toMatchObject({ kind: "ignored" });
    expect(read.filter((call) => call.kind === "turn_started")).toHaveLength(2);
  });

  it("run_shell_command with its input; the output is llmContent, the duration Qwen's own", () => {
    expect(pre).toMatchObject({
      kind: "tool_started",
      toolName: "run_shell_command",
      toolInput: { command: "printf 'x-%d' 42" },
    });
    expect(post).toMatchObject({ kind: "tool_finished", toolName: "run_shell_command", ok: true });
    expect((post as { output: string }).output).toContain("Output: x-42");
    expect((post as { toolUseId: string }).toolUseId).toBe((pre as { toolUseId: string }).toolUseId);
    expect(typeof (post as { durationMs?: number }).durationMs).toBe("number");
  });

  it("a command that exited 3 is a PostToolUseFailure: not ok, its error as the output", () => {
    const failed = read[13];
    expect(failed).toMatchObject({ kind: "tool_finished", ok: false, durationMs: 144 });
    expect((failed as { output: string }).output).toContain("Exit Code: 3");
  });

  it("Stop ends the turn with its prompt_id, the key of its responses in the transcript", () => {
    expect(stop).toMatchObject({ kind: "turn_ended", lastMessage: "Tool ran PLAIN.", turnId: `${SESSION}########0` });
  });

  it("notifications: idle_prompt is idle, auth_success other", () => {
    expect(idle).toEqual({
      kind: "notification",
      notificationKind: "idle",
      message: "Qwen Code is waiting for your input",
    });
    expect(read[14]).toMatchObject({ kind: "notification", notificationKind: "other" });
  });
});

describe("qwen dialect: replies", () => {
  it("a deny in the Claude Code format; a modify becomes a deny, since Qwen would run the unchanged input", () => {
    expect(qwenDialect.runsChangedInput).toBe(false);
    expect(qwenDialect.replyToTool({ decision: "deny", reason: "R" })).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "R" },
    });
    expect(qwenDialect.replyToTool({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: UNMODIFIABLE_INPUT_REASON,
      },
    });
    expect(qwenDialect.replyToTool({ decision: "allow" })).toEqual({});
  });
});

describe("qwen dialect: usage from the chat transcript", () => {
  // The double answered 111/22 then 333/44 in each turn.
  const lines = chat.split("\n");
  const secondPrompt = lines.findIndex((line) => line.includes('"PLAIN tuiB"'));

  it("the responses recorded with the turn's prompt_id, whatever else the part holds", () => {
    expect(qwenDialect.turnUsage!(chat, `${SESSION}########0`)).toEqual({ inputTokens: 444, outputTokens: 66 });
    expect(qwenDialect.turnUsage!(chat, `${SESSION}########1`)).toEqual({ inputTokens: 444, outputTokens: 66 });
    // The previous turn's last response, written late, inside this turn's part: not counted.
    const late = lines.slice(secondPrompt - 2).join("\n");
    expect(qwenDialect.turnUsage!(late, `${SESSION}########1`)).toEqual({ inputTokens: 444, outputTokens: 66 });
  });

  it("without a turn id: every assistant response of the part", () => {
    expect(qwenDialect.turnUsage!(chat)).toEqual({ inputTokens: 888, outputTokens: 132 });
    expect(qwenDialect.turnUsage!(lines.slice(secondPrompt).join("\n"))).toEqual({
      inputTokens: 444,
      outputTokens: 66,
    });
    expect(qwenDialect.turnUsage!(lines.slice(0, 3).join("\n"))).toBeUndefined();
  });

  it("waits longer than the default for Qwen's late transcript", () => {
    expect(qwenDialect.transcriptWaitMs).toBeGreaterThanOrEqual(15_000);
  });
});

describe("qwen hooks per launch: a system-defaults layer of CAO's", () => {
  const context = (): LaunchContext => ({
    terminalId: "1a2b3c4d",
    binaryPath: "/opt/agents/bin/qwen",
    asRoot: false,
    profile: new ProfileStore(tempDir()).load("developer"),
    workingDirectory: "/srv/project",
    caoHome: tempDir("cao-home-"),
    homeDir: tempDir("cao-user-home-"),
    caoMcpServer: { command: "/usr/bin/node", args: ["/opt/cao/dist/mcp/main.js"] },
  });

  it("where Qwen looks without CAO: its variable, else system-defaults.json beside the system settings", () => {
    expect(qwenSystemDefaultsPath({})).toBe("/etc/qwen-code/system-defaults.json");
    expect(qwenSystemDefaultsPath({ QWEN_CODE_SYSTEM_SETTINGS_PATH: "/opt/q/settings.json" })).toBe(
      "/opt/q/system-defaults.json",
    );
    expect(qwenSystemDefaultsPath({ QWEN_CODE_SYSTEM_DEFAULTS_PATH: "/x/d.json" })).toBe("/x/d.json");
  });

  it("cao-hook on each event, through QWEN_CODE_SYSTEM_DEFAULTS_PATH; nothing of the user's ~/.qwen", () => {
    const ctx = context();
    expect(qwenCliProvider.hookDialect).toBe(qwenDialect);
    const without = qwenCliProvider.buildLaunch(ctx);
    expect(without.env).toBeUndefined();
    const plan = qwenCliProvider.buildLaunch({ ...ctx, hooks: endpoint });
    const file = path.join(ctx.caoHome, "runtime", "1a2b3c4d", "qwen-system-defaults.json");
    expect(plan.env).toEqual({ QWEN_CODE_SYSTEM_DEFAULTS_PATH: file });
    expect(plan.argv).toEqual(without.argv);
    const settings = JSON.parse(plan.files!.find((f) => f.path === file)!.content);
    expect(Object.keys(settings.hooks).sort()).toEqual(
      ["Notification", "PostToolUse", "PostToolUseFailure", "PreToolUse", "Stop", "UserPromptSubmit"].sort(),
    );
    expect(settings.hooks.PreToolUse).toEqual([
      { matcher: "*", hooks: [{ type: "command", command: "'/opt/cao/bin/cao-hook' PreToolUse", timeout: 30 }] },
    ]);
    expect(settings.hooks.Stop).toEqual([
      { hooks: [{ type: "command", command: "'/opt/cao/bin/cao-hook' Stop", timeout: 30 }] },
    ]);
  });

  it("an administrator's system defaults are carried over, their hooks before CAO's", () => {
    const admin = path.join(tempDir("qwen-admin-"), "system-defaults.json");
    fs.writeFileSync(
      admin,
      '{\n  // the admin\'s\n  "ui": {"theme": "dark"},\n  "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "audit"}]}]}\n}',
    );
    const { file } = qwenHookLayer(context(), endpoint, { QWEN_CODE_SYSTEM_DEFAULTS_PATH: admin });
    const settings = JSON.parse(file.content);
    expect(settings.ui).toEqual({ theme: "dark" });
    expect(settings.hooks.Stop.map((group: any) => group.hooks[0].command)).toEqual([
      "audit",
      "'/opt/cao/bin/cao-hook' Stop",
    ]);
    expect(settings.hooks.PreToolUse).toHaveLength(1);
  });
});
