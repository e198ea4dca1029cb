/**
 * Codex's hook dialect on what Codex 0.169.0 really sent and wrote (test/fixtures/hooks/codex/): the hook calls of an
 * `exec` run with a shell tool call (plus a command that failed), and the rollout transcript of a two-turn TUI session
 * under CAO (its long setup lines, over 2,000 characters, left out). Also the per-launch `-c` hooks and their trust.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProfileStore } from "../../src/profiles/profiles.js";
import { codexProvider } from "../../src/providers/codex.js";
import { codexDialect, codexHookHash, codexHookOverrides } from "../../src/providers/hook-dialects/codex.js";
import type { HookEndpoint, LaunchContext } from "../../src/providers/provider.js";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";

afterAll(removeTempDirs);

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "hooks", "codex");
const lines = (file: string): string[] =>
  fs.readFileSync(path.join(FIXTURES, file), "utf8").split("\n").filter(Boolean);
const calls = lines("0.169.0-hook-calls.jsonl").map((line) => JSON.parse(line) as Record<string, unknown>);
const rollout = fs.readFileSync(path.join(FIXTURES, "0.169.0-rollout-two-turns.jsonl"), "utf8");

const endpoint: HookEndpoint = {
  url: "http://127.0.0.1:9889/terminals/1a2b3c4d/agent-hooks",
  tokenHeader: "X-CAO-Hook-Token",
  tokenVariable: "CAO_HOOK_TOKEN",
  command: "/opt/it's cao/bin/cao-hook",
  failClosed: false,
  timeoutSeconds: 30,
};

describe("codex dialect: reading real hook calls", () => {
  const [sessionStart, prompt, pre, post, stop, failed] = calls.map((call) => codexDialect.read(call, undefined));

  it("a session start is acknowledged only; a prompt starts a turn", () => {
    expect(sessionStart).toEqual({ kind: "ignored", event: "SessionStart" });
    expect(prompt).toEqual({ kind: "turn_started", prompt: "PLAIN one" });
  });

  it("its exec_command tool comes as Bash{command}, its output as plain text", () => {
    expect(pre).toEqual({
      kind: "tool_started",
      toolName: "Bash",
      toolInput: { command: "printf 'x-%d' 42" },
      toolUseId: "call_double_1",
    });
    expect(post).toEqual({
      kind: "tool_finished",
      toolName: "Bash",
      toolUseId: "call_double_1",
      ok: true,
      output: "x-42",
    });
  });

  it("a command that exited 3 is reported like any other: Codex gives hooks no exit status", () => {
    expect(failed).toMatchObject({ kind: "tool_finished", ok: true, output: "bad\n" });
  });

  it("Stop ends the turn with the last message and the rollout to read the usage from", () => {
    expect(stop).toMatchObject({ kind: "turn_ended", lastMessage: "Tool ran PLAIN." });
    expect((stop as { transcriptPath: string }).transcriptPath).toMatch(/\.codex\/sessions\/.*\/rollout-.*\.jsonl$/);
  });
});

describe("codex dialect: replies", () => {
  it("deny and modify in the Claude Code format (Codex runs an updatedInput), allow as nothing to say", () => {
    expect(codexDialect.replyToTool({ decision: "allow" })).toEqual({});
    expect(codexDialect.replyToTool({ decision: "deny", reason: "R" })).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "R" },
    });
    expect(codexDialect.replyToTool({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", updatedInput: { command: "ls" } },
    });
    expect(codexDialect.runsChangedInput).not.toBe(false);
  });
});

describe("codex dialect: usage from the rollout's token_count events", () => {
  // The double answered 111/22 then 333/44 in each turn.
  const rolloutLines = rollout.split("\n");
  const secondTurnPart = rolloutLines.slice(rolloutLines.findLastIndex((l) => l.includes('"task_started"'))).join("\n");

  it("a turn's part: the last total less the total before the turn", () => {
    expect(codexDialect.turnUsage!(secondTurnPart)).toEqual({ inputTokens: 444, outputTokens: 66 });
  });

  it("the whole file (the turn's start unseen, e.g. after a server restart): both turns", () => {
    expect(codexDialect.turnUsage!(rollout)).toEqual({ inputTokens: 888, outputTokens: 132 });
  });

  it("a token_count written twice counts once; a part without any says nothing", () => {
    const counts = secondTurnPart.split("\n").filter((line) => line.includes('"token_count"'));
    expect(codexDialect.turnUsage!(`${secondTurnPart}${counts.at(-1)}\n`)).toEqual({
      inputTokens: 444,
      outputTokens: 66,
    });
    expect(codexDialect.turnUsage!(secondTurnPart.split("\n").slice(0, 3).join("\n"))).toBeUndefined();
  });
});

describe("codex hooks per launch", () => {
  /** The `-c` values of argv, by key. */
  const overrides = (argv: string[]): Map<string, string> =>
    new Map(
      argv.flatMap((arg, i) =>
        argv[i - 1] === "-c" ? [[arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]] : [],
      ),
    );

  it("the trust hash is the one Codex itself reports (hooks/list currentHash, 0.169.0)", () => {
    expect(codexHookHash("PreToolUse", "/tmp/hx/hook.sh PreToolUse", 30, "*")).toBe(
      "sha256:7ff1543830ee0550a9e77b2bc169bbeccc11da20c241dc7054bc8d5e84fa958d",
    );
  });

  it("one cao-hook group per event (tools matched with *) and a trust entry for each, keyed on the session flags", () => {
    const values = overrides(codexHookOverrides(endpoint));
    const command = `'/opt/it'\\''s cao/bin/cao-hook' PreToolUse`;
    expect(values.get("hooks.PreToolUse")).toBe(
      `[{matcher="*",hooks=[{type="command",command=${JSON.stringify(command)},timeout=30}]}]`,
    );
    expect(values.get("hooks.UserPromptSubmit")).toContain("cao-hook' UserPromptSubmit");
    expect([...values.keys()].sort()).toEqual([
      "hooks.PostToolUse",
      "hooks.PreToolUse",
      "hooks.Stop",
      "hooks.UserPromptSubmit",
      "hooks.state",
    ]);
    const state = values.get("hooks.state")!;
    for (const event of ["user_prompt_submit", "pre_tool_use", "post_tool_use", "stop"])
      expect(state).toContain(`"/<session-flags>/config.toml:${event}:0:0"={trusted_hash="sha256:`);
    expect(state).toContain(codexHookHash("PreToolUse", command, 30, "*"));
    expect(state).toContain(codexHookHash("Stop", `'/opt/it'\\''s cao/bin/cao-hook' Stop`, 30));
  });

  it("the launch carries them only when hooks are on, and never the bypass of the user's hook trust", () => {
    const profile = new ProfileStore(tempDir()).load("developer");
    const context: LaunchContext = {
      terminalId: "1a2b3c4d",
      binaryPath: "/opt/agents/bin/codex",
      asRoot: false,
      profile,
      workingDirectory: "/srv/project",
      caoHome: tempDir("cao-home-"),
      homeDir: tempDir("cao-user-home-"),
      caoMcpServer: { command: "/usr/bin/node", args: ["/opt/cao/dist/mcp/main.js"] },
    };
    expect(codexProvider.hookDialect).toBe(codexDialect);
    const without = codexProvider.buildLaunch(context);
    expect(without.argv.some((arg) => arg.startsWith("hooks."))).toBe(false);
    const withHooks = codexProvider.buildLaunch({ ...context, hooks: endpoint });
    expect(withHooks.argv.slice(without.argv.length)).toEqual(codexHookOverrides(endpoint));
    expect(withHooks.argv).not.toContain("--dangerously-bypass-hook-trust");
    expect(withHooks.files ?? []).toEqual([]); // nothing written: the user's ~/.codex stays as it is
  });
});
