/** The pure parts of agent hooks: reading decisions with an object field, the Claude dialect, transcript usage, tokens. */
import { describe, expect, it } from "vitest";
import { readDecision } from "../../src/plugins/host/intercept/read-decision.js";
import { claudeToolReply, claudeTranscriptUsage, readClaudeCall } from "../../src/providers/hook-dialects/claude.js";
import { HookTokens } from "../../src/services/agent-hooks/hook-tokens.js";
import { truncate } from "../../src/services/agent-hooks/agent-hook-service.js";

describe("readDecision for pre_tool_use", () => {
  it("takes an object toolInput, and refuses a string or an array there", () => {
    expect(readDecision("pre_tool_use", { decision: "modify", patch: { toolInput: { command: "ls" } } })).toEqual({
      kind: "modify",
      patch: { toolInput: { command: "ls" } },
      dropped: [],
    });
    expect(readDecision("pre_tool_use", { decision: "modify", patch: { toolInput: "ls" } }).kind).toBe("invalid");
    expect(readDecision("pre_tool_use", { decision: "modify", patch: { toolInput: ["ls"] } }).kind).toBe("invalid");
    expect(readDecision("pre_tool_use", { decision: "modify", patch: { toolName: "Read" } })).toEqual({
      kind: "modify",
      patch: {},
      dropped: ["toolName"],
    });
  });
});

describe("the Claude Code hook dialect", () => {
  // Payloads as Claude Code 2.1.328 sends them (shapes from a real run; ids shortened).
  const base = { session_id: "s", transcript_path: "/t.jsonl", cwd: "/w", permission_mode: "bypassPermissions" };

  it("reads each event it uses", () => {
    expect(readClaudeCall({ ...base, hook_event_name: "UserPromptSubmit", prompt: "hi" }, undefined)).toEqual({
      kind: "turn_started",
      prompt: "hi",
    });
    expect(
      readClaudeCall(
        { ...base, hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command: "ls" }, tool_use_id: "t1" },
        undefined,
      ),
    ).toEqual({ kind: "tool_started", toolName: "Bash", toolInput: { command: "ls" }, toolUseId: "t1" });
    expect(
      readClaudeCall(
        {
          ...base,
          hook_event_name: "PostToolUse",
          tool_name: "Bash",
          tool_use_id: "t1",
          tool_response: { stdout: "out", stderr: "", interrupted: false, isImage: false },
        },
        undefined,
      ),
    ).toEqual({ kind: "tool_finished", toolName: "Bash", toolUseId: "t1", ok: true, output: "out" });
    expect(
      readClaudeCall(
        { ...base, hook_event_name: "PostToolUseFailure", tool_name: "Bash", tool_use_id: "t2", error: "exit 1" },
        undefined,
      ),
    ).toMatchObject({ kind: "tool_finished", ok: false, output: "exit 1" });
    expect(readClaudeCall({ ...base, hook_event_name: "Stop", last_assistant_message: "done" }, undefined)).toEqual({
      kind: "turn_ended",
      lastMessage: "done",
      transcriptPath: "/t.jsonl",
    });
    expect(
      readClaudeCall(
        {
          ...base,
          hook_event_name: "Notification",
          message: "Claude needs your permission",
          notification_type: "permission_prompt",
        },
        undefined,
      ),
    ).toEqual({ kind: "notification", notificationKind: "permission_prompt", message: "Claude needs your permission" });
    expect(readClaudeCall({ ...base, hook_event_name: "SessionStart" }, undefined)).toEqual({
      kind: "ignored",
      event: "SessionStart",
    });
  });

  it("says what is wrong with a body it cannot read", () => {
    expect(() => readClaudeCall({ prompt: "x" }, undefined)).toThrow(/names no event/);
    expect(() => readClaudeCall({ hook_event_name: "PreToolUse" }, undefined)).toThrow(/without tool_name/);
  });

  it("answers in Claude Code's format", () => {
    expect(claudeToolReply({ decision: "allow" })).toEqual({});
    expect(claudeToolReply({ decision: "deny", reason: "no" })).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "no" },
    });
    expect(claudeToolReply({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", updatedInput: { command: "ls" } },
    });
  });

  it("sums a turn's usage from the transcript, each message once, cache tokens as input", () => {
    const line = (id: string, usage: object) =>
      JSON.stringify({ type: "assistant", message: { id, role: "assistant", usage } });
    const part = [
      JSON.stringify({ type: "user", message: { role: "user", content: "hi" } }),
      line("m1", { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5 }),
      line("m1", { input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 5 }), // the same message, streamed
      line("m2", { input_tokens: 20, output_tokens: 3 }),
      '{"type":"assistant","message":{"usage":', // a line still being written
    ].join("\n");
    expect(claudeTranscriptUsage(part)).toEqual({ inputTokens: 35, outputTokens: 10 });
    expect(claudeTranscriptUsage("")).toBeUndefined();
  });
});

describe("hook secrets and output", () => {
  it("differ per terminal and per key, and verify only the right one", () => {
    const tokens = HookTokens.inMemory();
    const a = tokens.tokenFor("aaaaaaaa");
    expect(tokens.verify("aaaaaaaa", a)).toBe(true);
    expect(tokens.verify("bbbbbbbb", a)).toBe(false);
    expect(tokens.verify("aaaaaaaa", undefined)).toBe(false);
    expect(tokens.verify("aaaaaaaa", a.slice(1))).toBe(false);
    expect(HookTokens.inMemory().verify("aaaaaaaa", a)).toBe(false);
  });

  it("cuts output at 4 KB on a character boundary", () => {
    expect(truncate("é".repeat(3000), 4096)).toBe("é".repeat(2048));
    expect(truncate("short", 4096)).toBe("short");
  });
});
