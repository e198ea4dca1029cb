/**
 * Gemini CLI's hook dialect (src/providers/hook-dialects/gemini.ts) on the hook JSON and chat recording Gemini CLI
 * 0.61.0 wrote in a run against the model double (test/fixtures/agent-hooks/gemini-*.jsonl: a shell tool call, then
 * an answer), and the per-launch settings that run cao-hook.
 */
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { perLaunchGeminiHome } from "../../src/providers/gemini-home.js";
import { geminiCommandHooks, geminiDialect } from "../../src/providers/hook-dialects/gemini.js";
import type { HookEndpoint } from "../../src/providers/provider.js";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/agent-hooks/${name}`, import.meta.url), "utf8");
const calls = fixture("gemini-hooks.jsonl")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const call = (event: string) => calls.find((c) => c.hook_event_name === event)!;

const endpoint: HookEndpoint = {
  url: "http://127.0.0.1:9889/terminals/abcd1234/agent-hooks",
  tokenHeader: "x-cao-hook-token",
  tokenVariable: "CAO_HOOK_TOKEN",
  command: "/opt/cao dir/bin/cao-hook",
  failClosed: false,
  timeoutSeconds: 30,
};

afterAll(removeTempDirs);

describe("reading Gemini CLI's hook calls", () => {
  it("BeforeAgent is the turn's start, with the prompt", () => {
    expect(geminiDialect.read(call("BeforeAgent"), "BeforeAgent")).toEqual({
      kind: "turn_started",
      prompt: "RUNTOOL please",
    });
  });

  it("BeforeTool is a tool call, with its input (Gemini gives no id)", () => {
    expect(geminiDialect.read(call("BeforeTool"), undefined)).toEqual({
      kind: "tool_started",
      toolName: "run_shell_command",
      toolInput: { command: "printf 'x-%d' 42" },
      toolUseId: null,
    });
  });

  it("AfterTool is the tool's end: ok without an error, its output as the model reads it", () => {
    expect(geminiDialect.read(call("AfterTool"), undefined)).toEqual({
      kind: "tool_finished",
      toolName: "run_shell_command",
      toolUseId: null,
      ok: true,
      output: "<untrusted_context>\nOutput: x-42\nProcess Group PGID: 31677\n</untrusted_context>",
    });
    const failed = { ...call("AfterTool"), tool_response: { llmContent: "boom", error: { message: "boom" } } };
    expect(geminiDialect.read(failed, undefined)).toMatchObject({ ok: false, output: "boom" });
  });

  it("AfterAgent is the turn's end, with the answer and the chat recording to read usage from", () => {
    const end = call("AfterAgent");
    expect(geminiDialect.read(end, undefined)).toEqual({
      kind: "turn_ended",
      lastMessage: "Tool ran. Done.",
      transcriptPath: end.transcript_path,
    });
  });

  it("a tool-permission Notification asks the user; other events are acknowledged only", () => {
    const notification = {
      ...call("BeforeAgent"),
      hook_event_name: "Notification",
      notification_type: "ToolPermission",
      message: "Allow run_shell_command?",
    };
    expect(geminiDialect.read(notification, undefined)).toEqual({
      kind: "notification",
      notificationKind: "permission_prompt",
      message: "Allow run_shell_command?",
    });
    expect(geminiDialect.read({ hook_event_name: "SessionStart" }, undefined)).toEqual({
      kind: "ignored",
      event: "SessionStart",
    });
    expect(() => geminiDialect.read({}, undefined)).toThrow(/names no event/);
    expect(() => geminiDialect.read({ hook_event_name: "BeforeTool" }, undefined)).toThrow(/without tool_name/);
  });
});

describe("answering a Gemini tool call", () => {
  it("allow says nothing, deny is Gemini's decision, modify gives the whole new input", () => {
    expect(geminiDialect.replyToTool({ decision: "allow" })).toEqual({});
    expect(geminiDialect.replyToTool({ decision: "deny", reason: "denied by plugin p: no" })).toEqual({
      decision: "deny",
      reason: "denied by plugin p: no",
    });
    expect(geminiDialect.replyToTool({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      hookSpecificOutput: { hookEventName: "BeforeTool", tool_input: { command: "ls" } },
    });
  });
});

describe("a turn's usage from Gemini's chat recording", () => {
  it("sums the model messages, each id once (Gemini writes a message again when its tool calls are added)", () => {
    expect(geminiDialect.turnUsage!(fixture("gemini-chat.jsonl"))).toEqual({ inputTokens: 444, outputTokens: 66 });
  });

  it("counts thoughts as output, and says nothing about a part without model messages", () => {
    const line = JSON.stringify({ id: "m", type: "gemini", tokens: { input: 10, output: 2, thoughts: 5, cached: 4 } });
    expect(geminiDialect.turnUsage!(`${line}\n{"id":"half`)).toEqual({ inputTokens: 10, outputTokens: 7 });
    expect(geminiDialect.turnUsage!('{"type":"user","content":"hi"}\n')).toBeUndefined();
  });
});

describe("CAO's hooks in the per-launch Gemini settings", () => {
  it("cao-hook runs for each event, quoted, named by its event; tool events for every tool; a timeout past cao-hook's", () => {
    const hooks = geminiCommandHooks(endpoint);
    expect(Object.keys(hooks)).toEqual(["BeforeAgent", "BeforeTool", "AfterTool", "AfterAgent", "Notification"]);
    expect(hooks.BeforeTool).toEqual([
      {
        matcher: "*",
        hooks: [{ name: "cao", type: "command", command: "'/opt/cao dir/bin/cao-hook' BeforeTool", timeout: 35_000 }],
      },
    ]);
    expect(hooks.AfterAgent).toEqual([
      { hooks: [expect.objectContaining({ command: expect.stringMatching(/ AfterAgent$/) })] },
    ]);
  });

  it("run beside the user's own hooks, and CAO's variables survive Gemini's redaction", () => {
    const homeDir = tempDir("cao-gemini-user-");
    const userHook = { matcher: "run_shell_command", hooks: [{ type: "command", command: "audit.sh" }] };
    fs.mkdirSync(`${homeDir}/.gemini`);
    fs.writeFileSync(
      `${homeDir}/.gemini/settings.json`,
      JSON.stringify({
        hooks: { BeforeTool: [userHook] },
        security: { environmentVariableRedaction: { enabled: true, allowed: ["MY_VAR"] } },
      }),
    );
    const home = perLaunchGeminiHome(
      { caoHome: tempDir("cao-gemini-home-"), terminalId: "abcd1234", homeDir },
      { mcpServers: {}, hooks: { entries: geminiCommandHooks(endpoint), variables: ["CAO_HOOK_TOKEN"] } },
    );
    const settings = JSON.parse(home.files[0]!.content);
    expect(settings.hooks.BeforeTool).toEqual([userHook, geminiCommandHooks(endpoint).BeforeTool![0]]);
    expect(settings.hooks.AfterAgent).toHaveLength(1);
    expect(settings.security.environmentVariableRedaction).toEqual({
      enabled: true,
      allowed: ["MY_VAR", "CAO_HOOK_TOKEN"],
    });
    expect(settings.hooksConfig).toBeUndefined();
  });

  it("a user who switched hooks off keeps theirs off: CAO's alone run", () => {
    const homeDir = tempDir("cao-gemini-user-");
    fs.mkdirSync(`${homeDir}/.gemini`);
    fs.writeFileSync(
      `${homeDir}/.gemini/settings.json`,
      JSON.stringify({ hooksConfig: { enabled: false, notifications: false }, hooks: { BeforeTool: [{ hooks: [] }] } }),
    );
    const home = perLaunchGeminiHome(
      { caoHome: tempDir("cao-gemini-home-"), terminalId: "abcd1234", homeDir },
      { mcpServers: {}, hooks: { entries: geminiCommandHooks(endpoint), variables: [] } },
    );
    const settings = JSON.parse(home.files[0]!.content);
    expect(settings.hooksConfig).toEqual({ enabled: true, notifications: false });
    expect(settings.hooks.BeforeTool).toEqual(geminiCommandHooks(endpoint).BeforeTool);
  });
});
