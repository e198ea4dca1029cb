/**
 * opencode's hooks: the plugin CAO writes per launch (src/providers/hook-dialects/opencode-plugin.ts), run here in
 * Node on what opencode 1.18.33 gave a logging plugin in one run against the model double
 * (test/fixtures/agent-hooks/opencode-run.jsonl: the hooks' arguments and the bus events, in order: a shell tool call,
 * then an answer), posting to a local stand-in for CAO; and the dialect (./opencode.ts) on what the plugin posted.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { opencodeDialect } from "../../src/providers/hook-dialects/opencode.js";
import { opencodePluginSource } from "../../src/providers/hook-dialects/opencode-plugin.js";
import type { HookEndpoint } from "../../src/providers/provider.js";
import { removeTempDirs, tempDir } from "../helpers/fs-fixtures.js";

type Hooks = Record<string, (...args: any[]) => Promise<void>>;
interface Posted {
  event: string;
  token: string | undefined;
  body: Record<string, any>;
}

const recorded = fs
  .readFileSync(new URL("../fixtures/agent-hooks/opencode-run.jsonl", import.meta.url), "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as { k: string; v: any });

const posted: Posted[] = [];
/** What the stand-in answers to tool.execute.before. */
let toolReply: unknown = {};
let server: http.Server;
let url: string;
let plugin: () => Promise<Hooks>;
const endpoint = (): HookEndpoint => ({
  url,
  tokenHeader: "x-cao-hook-token",
  tokenVariable: "CAO_HOOK_TOKEN",
  command: "/unused/cao-hook",
  failClosed: false,
  timeoutSeconds: 5,
});

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const event = new URL(request.url!, "http://x").searchParams.get("event")!;
      posted.push({ event, token: request.headers["x-cao-hook-token"] as string, body: JSON.parse(body) });
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(event === "tool.execute.before" ? toolReply : {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/terminals/abcd1234/agent-hooks`;
  const file = path.join(tempDir("cao-opencode-plugin-"), "opencode-cao-hooks.mjs");
  fs.writeFileSync(file, opencodePluginSource(endpoint()));
  const module = (await import(pathToFileURL(file).href)) as Record<string, () => Promise<Hooks>>;
  // opencode calls every export as a plugin: there must be exactly one.
  expect(Object.keys(module)).toEqual(["CaoAgentHooks"]);
  plugin = module.CaoAgentHooks!;
});

afterEach(() => {
  posted.length = 0;
  toolReply = {};
  delete process.env.CAO_HOOK_URL;
  delete process.env.CAO_HOOK_TOKEN;
  delete process.env.CAO_HOOK_FAIL_CLOSED;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

async function loaded(): Promise<Hooks> {
  process.env.CAO_HOOK_URL = url;
  process.env.CAO_HOOK_TOKEN = "secret-of-abcd1234";
  return plugin();
}

/** Plays the recorded run into the plugin as opencode did; returns each tool call's args after its before-hook. */
async function replay(hooks: Hooks): Promise<Record<string, unknown>[]> {
  const args: Record<string, unknown>[] = [];
  for (const { k, v } of structuredClone(recorded)) {
    if (k === "event") await hooks.event!({ event: v });
    else {
      await hooks[k]!(v.input, v.output);
      if (k === "tool.execute.before") args.push(v.output.args);
    }
  }
  return args;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; posted: ${posted.map((p) => p.event).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("CAO's opencode plugin on a recorded run", () => {
  it("posts the turn in order, with the terminal's secret: prompt, tool, tool's end, the turn's answer and tokens", async () => {
    await replay(await loaded());
    await until(() => posted.some((p) => p.event === "session.idle"));
    expect(posted.map((p) => p.event)).toEqual([
      "chat.message",
      "tool.execute.before",
      "tool.execute.after",
      "session.idle",
    ]);
    expect(posted.every((p) => p.token === "secret-of-abcd1234")).toBe(true);
    const idle = posted.at(-1)!.body;
    expect(idle.lastMessage).toBe("Tool ran. Done.");
    expect(idle.tokens.map((t: any) => [t.input, t.output])).toEqual([
      [111, 22],
      [333, 44],
    ]);
  });

  it("a modify changes the tool's own args object, which opencode then runs", async () => {
    toolReply = { decision: "modify", args: { command: "printf 'rewritten-%d' 7" } };
    const [args] = await replay(await loaded());
    expect(args).toEqual({ command: "printf 'rewritten-%d' 7" });
  });

  it("a deny throws the reason (opencode gives the model the message as the tool's result)", async () => {
    toolReply = { decision: "deny", reason: "denied by plugin tool-guard: no" };
    const hooks = await loaded();
    const before = recorded.find((r) => r.k === "tool.execute.before")!.v;
    await expect(hooks["tool.execute.before"]!(before.input, before.output)).rejects.toThrow(
      "denied by plugin tool-guard: no",
    );
  });

  it("CAO unreachable: the tool runs, unless the fail-closed marker exists", async () => {
    process.env.CAO_HOOK_URL = "http://127.0.0.1:9/terminals/abcd1234/agent-hooks";
    process.env.CAO_HOOK_TOKEN = "secret-of-abcd1234";
    const hooks = await plugin();
    const before = structuredClone(recorded.find((r) => r.k === "tool.execute.before")!.v);
    await hooks["tool.execute.before"]!(before.input, before.output); // fail-open
    expect(posted).toEqual([]);
    const marker = path.join(tempDir("cao-marker-"), "hooks-fail-closed");
    fs.writeFileSync(marker, "");
    process.env.CAO_HOOK_FAIL_CLOSED = marker;
    await expect(hooks["tool.execute.before"]!(before.input, before.output)).rejects.toThrow(
      /CAO cannot check this tool call .* fail-closed/,
    );
  });

  it("a subagent's session reports its tools, not turns of its own", async () => {
    const hooks = await loaded();
    const child = "ses_child";
    await hooks.event!({ event: { type: "session.created", properties: { info: { id: child, parentID: "ses_x" } } } });
    await hooks["chat.message"]!({ sessionID: child }, { message: { id: "msg_c" }, parts: [] });
    await hooks["tool.execute.before"]!({ tool: "bash", sessionID: child, callID: "c1" }, { args: { command: "ls" } });
    await hooks.event!({ event: { type: "session.idle", properties: { sessionID: child } } });
    await until(() => posted.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(posted.map((p) => p.event)).toEqual(["tool.execute.before"]);
  });

  it("a tool it let run that failed is reported from the message events", async () => {
    const hooks = await loaded();
    await hooks["tool.execute.before"]!({ tool: "bash", sessionID: "s", callID: "c9" }, { args: { command: "x" } });
    const part = {
      type: "tool",
      tool: "bash",
      callID: "c9",
      sessionID: "s",
      state: { status: "error", error: "boom" },
    };
    await hooks.event!({ event: { type: "message.part.updated", properties: { part } } });
    await until(() => posted.length === 2);
    expect(posted[1]).toMatchObject({
      event: "tool.execute.error",
      body: { input: { tool: "bash", callID: "c9" }, error: "boom" },
    });
  });

  it("without CAO's variables it hooks nothing", async () => {
    expect(await plugin()).toEqual({});
  });
});

describe("reading what the plugin posts", () => {
  const call = (k: string) => recorded.find((r) => r.k === k)!.v as Record<string, unknown>;

  it("chat.message is the turn's start, with the user's text", () => {
    expect(opencodeDialect.read(call("chat.message"), "chat.message")).toEqual({
      kind: "turn_started",
      prompt: '"RUNTOOL please"',
    });
  });

  it("tool.execute.before / after / error: the tool, its args, its callID, its output", () => {
    expect(opencodeDialect.read(call("tool.execute.before"), "tool.execute.before")).toEqual({
      kind: "tool_started",
      toolName: "bash",
      toolInput: { command: "printf 'x-%d' 42" },
      toolUseId: "call_double_2",
    });
    expect(opencodeDialect.read(call("tool.execute.after"), "tool.execute.after")).toEqual({
      kind: "tool_finished",
      toolName: "bash",
      toolUseId: "call_double_2",
      ok: true,
      output: "x-42",
    });
    const error = { input: { tool: "bash", sessionID: "s", callID: "c9" }, error: "boom" };
    expect(opencodeDialect.read(error, "tool.execute.error")).toMatchObject({ ok: false, output: "boom" });
  });

  it("session.idle is the turn's end: its answer, its usage summed (cache in input, reasoning in output)", () => {
    const tokens = [
      { input: 111, output: 22, reasoning: 0, cache: { read: 0, write: 0 } },
      { input: 300, output: 40, reasoning: 4, cache: { read: 30, write: 3 } },
    ];
    expect(opencodeDialect.read({ sessionID: "s", lastMessage: "Done.", tokens }, "session.idle")).toEqual({
      kind: "turn_ended",
      lastMessage: "Done.",
      usage: { inputTokens: 444, outputTokens: 66 },
    });
    expect(opencodeDialect.read({ sessionID: "s", lastMessage: "", tokens: [] }, "session.idle")).toEqual({
      kind: "turn_ended",
      lastMessage: "",
    });
  });

  it("permission.asked asks the user; unknown events are acknowledged; a call without its event cannot be read", () => {
    const permission = { id: "per_1", sessionID: "s", permission: "bash", patterns: ["rm -rf /tmp/x"] };
    expect(opencodeDialect.read({ permission }, "permission.asked")).toEqual({
      kind: "notification",
      notificationKind: "permission_prompt",
      message: "bash (rm -rf /tmp/x)",
    });
    expect(opencodeDialect.read({}, "session.compacted")).toEqual({ kind: "ignored", event: "session.compacted" });
    expect(() => opencodeDialect.read({}, undefined)).toThrow(/names no event/);
    expect(() => opencodeDialect.read({ input: {} }, "tool.execute.before")).toThrow(/without input.tool/);
  });

  it("answers for the plugin: nothing, a deny to throw, or the args to run", () => {
    expect(opencodeDialect.replyToTool({ decision: "allow" })).toEqual({});
    expect(opencodeDialect.replyToTool({ decision: "deny", reason: "r" })).toEqual({ decision: "deny", reason: "r" });
    expect(opencodeDialect.replyToTool({ decision: "modify", toolInput: { command: "ls" } })).toEqual({
      decision: "modify",
      args: { command: "ls" },
    });
  });
});
