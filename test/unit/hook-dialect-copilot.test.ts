/**
 * Copilot CLI's hook dialect (src/providers/hook-dialects/copilot.ts) on what Copilot CLI 1.0.102 gave its hooks and
 * wrote to its session events in one run against the model double (test/fixtures/agent-hooks/copilot-*.jsonl: a
 * shell tool call whose input a hook changed, then an answer), and the hooks file of CAO's per-launch plugin.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { copilotDialect, copilotHooksFile } from "../../src/providers/hook-dialects/copilot.js";
import type { HookEndpoint } from "../../src/providers/provider.js";

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/agent-hooks/${name}`, import.meta.url), "utf8");
/** The hook calls: `ev` is the event the hook command was registered for (Copilot does not say it), `in` its stdin. */
const calls = fixture("copilot-hooks.jsonl")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as { ev: string; in: Record<string, unknown> });
const call = (event: string) => calls.find((c) => c.ev === event)!.in;
const events = fixture("copilot-events.jsonl");

const endpoint: HookEndpoint = {
  url: "http://127.0.0.1:9889/terminals/abcd1234/agent-hooks",
  tokenHeader: "x-cao-hook-token",
  tokenVariable: "CAO_HOOK_TOKEN",
  command: "/opt/cao/bin/cao-hook",
  failClosed: false,
  timeoutSeconds: 30,
};

describe("reading Copilot CLI's hook calls (the event comes from the command line)", () => {
  it("userPromptSubmitted is the turn's start, with the prompt", () => {
    expect(copilotDialect.read(call("userPromptSubmitted"), "userPromptSubmitted")).toEqual({
      kind: "turn_started",
      prompt: "RUNTOOL please",
    });
  });

  it("preToolUse is a tool call with its arguments (Copilot gives no id)", () => {
    expect(copilotDialect.read(call("preToolUse"), "preToolUse")).toEqual({
      kind: "tool_started",
      toolName: "bash",
      toolInput: { command: "printf 'x-%d' 1 # REWRITEME", description: "run a scripted command" },
      toolUseId: null,
    });
    const asText = { ...call("preToolUse"), toolArgs: '{"path":"a.txt"}' };
    expect(copilotDialect.read(asText, "preToolUse")).toMatchObject({ toolInput: { path: "a.txt" } });
  });

  it("postToolUse is the tool's end with what the model reads; postToolUseFailure a failed one", () => {
    expect(copilotDialect.read(call("postToolUse"), "postToolUse")).toEqual({
      kind: "tool_finished",
      toolName: "bash",
      toolUseId: null,
      ok: true,
      output: "rewritten-7\n<shellId: 0 completed with exit code 0>",
    });
    const failure = { ...call("preToolUse"), error: "command not found" };
    expect(copilotDialect.read(failure, "postToolUseFailure")).toEqual({
      kind: "tool_finished",
      toolName: "bash",
      toolUseId: null,
      ok: false,
      output: "command not found",
    });
  });

  it("agentStop is the turn's end: no answer in it, the session events to read it from once they hold this call", () => {
    const stop = call("agentStop");
    expect(copilotDialect.read(stop, "agentStop")).toEqual({
      kind: "turn_ended",
      lastMessage: "",
      transcriptPath: stop.transcriptPath,
      transcriptReady: `"timestamp":${stop.timestamp as number}`,
    });
    // Copilot records the call's input before it runs the hook: that is what the service waits for.
    expect(events).toContain(`"timestamp":${stop.timestamp as number}`);
  });

  it("other events are acknowledged only; a call without its event cannot be read", () => {
    expect(copilotDialect.read(call("sessionStart"), "sessionStart")).toEqual({
      kind: "ignored",
      event: "sessionStart",
    });
    expect(() => copilotDialect.read(call("preToolUse"), undefined)).toThrow(/names no event/);
    expect(() => copilotDialect.read({}, "preToolUse")).toThrow(/without toolName/);
  });
});

describe("answering a Copilot tool call", () => {
  it("allow says nothing (Copilot's own permissions stand), deny is a permission decision, modify the new arguments", () => {
    expect(copilotDialect.replyToTool({ decision: "allow" })).toEqual({});
    expect(copilotDialect.replyToTool({ decision: "deny", reason: "denied by plugin p: no" })).toEqual({
      permissionDecision: "deny",
      permissionDecisionReason: "denied by plugin p: no",
    });
    expect(copilotDialect.replyToTool({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      modifiedArgs: { command: "ls" },
    });
  });
});

describe("a turn's usage and answer from Copilot's session events", () => {
  it("sums the turn's usage records and takes its last answer with text", () => {
    expect(copilotDialect.turnUsage!(events)).toEqual({ inputTokens: 444, outputTokens: 66 });
    expect(copilotDialect.turnLastMessage!(events)).toBe("Tool ran. Done.");
  });

  it("reads the last turn only: what came before its user message is an earlier turn", () => {
    const second = [
      '{"type":"user.message","data":{"content":"again"}}',
      '{"type":"session.usage_record","data":{"usage":{"inputTokens":500,"outputTokens":7,"cacheReadTokens":20,"cacheWriteTokens":0}}}',
      '{"type":"assistant.message","data":{"content":"Second answer."}}',
      '{"type":"hook.start","data":{"hookType":"agentStop","input":{"timest',
    ].join("\n");
    expect(copilotDialect.turnUsage!(`${events}${second}`)).toEqual({ inputTokens: 520, outputTokens: 7 });
    expect(copilotDialect.turnLastMessage!(`${events}${second}`)).toBe("Second answer.");
  });

  it("says nothing about a part without usage or answer", () => {
    const start = events.split("\n").slice(0, 2).join("\n");
    expect(copilotDialect.turnUsage!(start)).toBeUndefined();
    expect(copilotDialect.turnLastMessage!(start)).toBeUndefined();
  });
});

describe("the hooks file of CAO's Copilot plugin", () => {
  it("runs cao-hook with each event's name, for longer than cao-hook waits itself", () => {
    const file = copilotHooksFile(endpoint) as { version: number; hooks: Record<string, unknown[]> };
    expect(file.version).toBe(1);
    expect(Object.keys(file.hooks)).toEqual([
      "userPromptSubmitted",
      "preToolUse",
      "postToolUse",
      "postToolUseFailure",
      "agentStop",
      "notification",
    ]);
    expect(file.hooks.preToolUse).toEqual([
      { type: "command", bash: "/opt/cao/bin/cao-hook preToolUse", timeoutSec: 35 },
    ]);
  });
});
