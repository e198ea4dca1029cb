/**
 * The answer to a tool call (docs/agent-hooks.md): interceptors that leave the input as it was allow the call (an
 * unchanged input answered as a modify would read as an explicit allow and skip the CLI's own permission check); a
 * changed input is a modify; and for a CLI that cannot run a changed input, a deny with no agent_tool_started.
 */
import { describe, expect, it } from "vitest";
import { claudeDialect } from "../../src/providers/hook-dialects/claude.js";
import { UNMODIFIABLE_INPUT_REASON, type HookDialect } from "../../src/providers/hook-dialect.js";
import { AgentHookService } from "../../src/services/agent-hooks/agent-hook-service.js";

type Rewrite = (input: Record<string, unknown>) => Record<string, unknown>;

function service(dialect: HookDialect, rewrite: Rewrite) {
  const events: { eventType: string }[] = [];
  const hooks = new AgentHookService({
    db: {
      getTerminal: (id: string) => ({ id, session_name: "s", agent_profile: "dev", provider: "cli" }),
    },
    providers: { has: () => true, get: () => ({ hookDialect: dialect }) },
    tokens: { verify: () => true },
    gate: {
      intercepts: () => true,
      intercept: async (op: { toolInput: Record<string, unknown> }) => ({
        denied: false,
        op: { ...op, toolInput: rewrite(op.toolInput) },
      }),
    },
    sink: { dispatch: (event: { eventType: string }) => events.push(event) },
    logger: { info: () => {}, warn: () => {} },
  } as never);
  const call = (toolInput: Record<string, unknown>) =>
    hooks.handle(
      "t1",
      "secret",
      { hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: toolInput, tool_use_id: "u1" },
      undefined,
    );
  return { call, events };
}

describe("pre_tool_use decisions", () => {
  it("an input the interceptors returned unchanged (a copy, as from a worker) is an allow", async () => {
    const { call, events } = service(claudeDialect, (input) => structuredClone(input));
    expect((await call({ command: "ls" })).body).toEqual({});
    expect(events.map((event) => event.eventType)).toEqual(["agent_tool_started"]);
  });

  it("a changed input is a modify, and agent_tool_started carries it", async () => {
    const { call, events } = service(claudeDialect, (input) => ({ ...input, command: "ls -a" }));
    expect((await call({ command: "ls" })).body).toMatchObject({
      hookSpecificOutput: { permissionDecision: "allow", updatedInput: { command: "ls -a" } },
    });
    expect(events).toEqual([
      expect.objectContaining({ eventType: "agent_tool_started", toolInput: { command: "ls -a" } }),
    ]);
  });

  it("a CLI that cannot run a changed input: a deny, and no agent_tool_started (the tool does not run)", async () => {
    const runsOnlyItsOwn: HookDialect = { ...claudeDialect, runsChangedInput: false };
    const { call, events } = service(runsOnlyItsOwn, (input) => ({ ...input, command: "ls -a" }));
    expect((await call({ command: "ls" })).body).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: UNMODIFIABLE_INPUT_REASON,
      },
    });
    expect(events).toEqual([]);
  });
});
