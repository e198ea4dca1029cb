/**
 * What "reports through its own hooks" means for an agent CLI (docs/agent-hooks.md), as one suite each CLI with
 * hooks runs: a scripted shell tool call produces agent_turn_started, agent_tool_started (the real command),
 * agent_tool_finished (ok, output) and agent_turn_ended (the double's usage summed); a drop-in `pre_tool_use` plugin
 * denies a command (it never runs; the model is told why), rewrites one (the CLI runs the changed command), and a
 * failClosed interceptor that throws blocks one; a forged hook call is 401 and emits nothing. Real `cao server`, real
 * tmux, the real CLI, a real drop-in plugin.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNMODIFIABLE_INPUT_REASON } from "../../src/providers/hook-dialect.js";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";
import { pluginFixture } from "../helpers/plugin-fixtures.js";
import { type Rig, startRig, stopRigs } from "./harness.js";

const marker = (what: string): string => `${what}-${randomBytes(3).toString("hex")}`;

type EventJson = Record<string, any> & { event_type: string; seq: number };

export interface AgentHooksSuiteOptions {
  /**
   * What the CLI does with a tool input a plugin changed: runs it (the default), or cannot (it runs the input it asked
   * for whatever the reply says), so CAO denies the call rather than let the unchanged input through.
   */
  changedInput?: "runs" | "denied";
}

export function agentHooksSuite(provider: string, options: AgentHooksSuiteOptions = {}): void {
  describe(`${provider}: the CLI's own hooks report to CAO`, { timeout: 180_000 }, () => {
    let rig: Rig;
    let id: string;
    let workDir: string;

    /** The agent_* events of terminal `id` after `since`, in order. */
    const agentEvents = async (since: number): Promise<EventJson[]> => {
      const answer = await rig.server.http(
        "GET",
        `/events/history?since=${since}&limit=1000&types=agent_turn_started,agent_tool_started,agent_tool_finished,agent_turn_ended,agent_notification`,
      );
      expect(answer.status).toBe(200);
      return (answer.body as EventJson[]).filter((event) => event.terminal_id === id);
    };
    const lastSeq = async (): Promise<number> => {
      const answer = await rig.server.http("GET", "/events/history?limit=1");
      return (answer.body as EventJson[])[0]?.seq ?? 0;
    };
    /** Waits until the events after `since` include an agent_turn_ended (hooks are asynchronous to the screen). */
    const turnEvents = async (since: number): Promise<EventJson[]> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const events = await agentEvents(since);
        if (events.some((event) => event.event_type === "agent_turn_ended") || Date.now() > deadline) return events;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    beforeAll(async () => {
      const plugins = tempDir("cao-hook-plugins-");
      fs.writeFileSync(path.join(plugins, "tool-guard.ts"), pluginFixture("tool-guard.ts"));
      fs.writeFileSync(path.join(plugins, "tool-guard-strict.ts"), pluginFixture("tool-guard-strict.ts"));
      rig = await startRig([provider], { serverEnv: { CAO_PLUGINS_DIR: plugins } });
      workDir = rig.freshDir();
      id = (await rig.launch(provider, { dir: workDir })).id;
    }, 120_000);

    afterAll(async () => {
      await stopRigs();
      removeTempDirs();
    }, 60_000);

    it("a shell tool call: turn started, tool started with the real command, tool finished ok, turn ended with the usage summed", async () => {
      const prompt = marker("HOOKTOOL");
      rig.double.addRules({
        when: prompt,
        steps: [
          { shell: "printf 'x-%d' 42", usage: { inputTokens: 111, outputTokens: 22 } },
          { text: `Tool ran for ${prompt}.`, usage: { inputTokens: 333, outputTokens: 44 } },
        ],
      });
      const since = await lastSeq();
      await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
      // Notifications come when the CLI sends them, not in step with the turn: Qwen's "waiting for your input" comes
      // about 7 s after a turn, before its agent_turn_ended (which waits for Qwen's late transcript).
      const events = (await turnEvents(since)).filter((event) => event.event_type !== "agent_notification");
      const types = events.map((event) => event.event_type);
      expect(types).toEqual(["agent_turn_started", "agent_tool_started", "agent_tool_finished", "agent_turn_ended"]);
      const [started, tool, finished, ended] = events as [EventJson, EventJson, EventJson, EventJson];
      expect(started.prompt).toContain(prompt);
      expect(started.provider).toBe(provider);
      expect(JSON.stringify(tool.tool_input)).toContain("printf 'x-%d' 42");
      expect(finished.tool_name).toBe(tool.tool_name);
      expect(finished.tool_use_id).toBe(tool.tool_use_id);
      expect(finished.ok).toBe(true);
      expect(finished.output).toContain("x-42");
      expect(finished.duration_ms).toBeGreaterThanOrEqual(0);
      expect(ended.last_message).toContain(`Tool ran for ${prompt}.`);
      const sent = rig.double.requestsFor(prompt).map((request) => request.usage!);
      expect(sent).toHaveLength(2);
      expect(ended.usage).toEqual({
        input_tokens: sent.reduce((sum, usage) => sum + usage.inputTokens, 0),
        output_tokens: sent.reduce((sum, usage) => sum + usage.outputTokens, 0),
      });
    });

    it("a pre_tool_use deny from a drop-in plugin: the command never runs, and the model is told why", async () => {
      const prompt = marker("HOOKDENY");
      const file = path.join(workDir, `${prompt}.created`);
      rig.double.addRules({
        when: prompt,
        steps: [{ shell: `touch ${file} # DENYME` }, { text: `Denied for ${prompt}.` }],
      });
      const since = await lastSeq();
      await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
      const results = rig.double.requestsFor(prompt)[1]!.toolResults.join("\n");
      expect(results).toContain("denied by plugin tool-guard: no DENYME commands here");
      expect(fs.existsSync(file)).toBe(false);
      const events = await turnEvents(since);
      expect(events.map((event) => event.event_type)).not.toContain("agent_tool_started");
      const denied = await rig.server.http("GET", `/events/history?since=${since}&types=operation_denied`);
      expect((denied.body as EventJson[]).map((event) => [event.point, event.plugin])).toEqual([
        ["pre_tool_use", "tool-guard"],
      ]);
    });

    // One of the two, never a skipped test: each CLI asserts what it does with a changed input.
    if (options.changedInput === "denied")
      it("a pre_tool_use modify: this CLI cannot run a changed command, so the call is denied and neither command runs", async () => {
        const prompt = marker("HOOKMODIFY");
        const file = path.join(workDir, `${prompt}.created`);
        rig.double.addRules({
          when: prompt,
          steps: [{ shell: `touch ${file} # REWRITEME` }, { text: `Not modified for ${prompt}.` }],
        });
        const since = await lastSeq();
        await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
        const results = rig.double.requestsFor(prompt)[1]!.toolResults.join("\n");
        expect(results).toContain(UNMODIFIABLE_INPUT_REASON);
        expect(results).not.toContain("rewritten-7");
        expect(fs.existsSync(file)).toBe(false);
        const events = await turnEvents(since);
        expect(events.map((event) => event.event_type)).not.toContain("agent_tool_started");
      });
    else
      it("a pre_tool_use modify: the CLI runs the changed command", async () => {
        const prompt = marker("HOOKMODIFY");
        rig.double.addRules({
          when: prompt,
          steps: [{ shell: "printf 'x-%d' 1 # REWRITEME" }, { text: `Modified for ${prompt}.` }],
        });
        const since = await lastSeq();
        await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
        const results = rig.double.requestsFor(prompt)[1]!.toolResults.join("\n");
        expect(results).toContain("rewritten-7");
        expect(results).not.toContain("x-1");
        const tool = (await turnEvents(since)).find((event) => event.event_type === "agent_tool_started")!;
        expect(JSON.stringify(tool.tool_input)).toContain("rewritten-%d");
      });

    it("a failClosed interceptor that throws blocks the tool", async () => {
      const prompt = marker("HOOKSTRICT");
      const file = path.join(workDir, `${prompt}.created`);
      rig.double.addRules({
        when: prompt,
        steps: [{ shell: `touch ${file} # THROWME` }, { text: `Blocked for ${prompt}.` }],
      });
      await rig.turn(id, `${prompt}: run the tool`, { prompt, requests: 2 });
      expect(fs.existsSync(file)).toBe(false);
      expect(rig.double.requestsFor(prompt)[1]!.toolResults.join("\n")).toContain("denied by plugin tool-guard-strict");
    });

    it("a forged hook call (no secret, another terminal's secret) is 401 and emits nothing", async () => {
      const other = await rig.addTerminal(
        (await rig.server.http("GET", `/terminals/${id}`)).body.session_name,
        provider,
      );
      const since = await lastSeq();
      const body = { hook_event_name: "UserPromptSubmit", prompt: "forged", session_id: "x" };
      const none = await rig.server.http("POST", `/terminals/${id}/agent-hooks`, body);
      expect(none.status).toBe(401);
      // The other terminal's own secret, read from its agent's environment.
      const otherToken = tokenOf(rig.agentPids(other.id));
      const wrong = await rig.server.http("POST", `/terminals/${id}/agent-hooks`, body, {
        "x-cao-hook-token": otherToken,
      });
      expect(wrong.status).toBe(401);
      expect(await lastSeq()).toBe(since);
    });
  });
}

/** CAO_HOOK_TOKEN from the environment of one of `pids`. */
function tokenOf(pids: number[]): string {
  for (const pid of pids) {
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      const entry = env.find((line) => line.startsWith("CAO_HOOK_TOKEN="));
      if (entry) return entry.slice("CAO_HOOK_TOKEN=".length);
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no CAO_HOOK_TOKEN in the environment of ${pids.join(", ")}`);
}
