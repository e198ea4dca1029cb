/**
 * The model double on its own, over real HTTP: script choice by the latest prompt and the tool results after it,
 * side requests, each protocol's stream and error shape, the recording, the control routes and the command's
 * usage errors. The real CLIs exercise it end to end in test/real-agents/.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ModelDouble, parseScript } from "../src/model-double/index.js";

const run = promisify(execFile);
let double: ModelDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function post(route: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${double!.url}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** The `data:` payloads of an SSE body, parsed (the `[DONE]` sentinel kept as a string). */
function sseData(text: string): any[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

const bash = {
  name: "Bash",
  description: "run",
  input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
};

describe("script choice", () => {
  it("answers the latest prompt by the number of tool results after it, whatever the request count", async () => {
    double = await ModelDouble.start({
      script: { rules: [{ when: "RUN", steps: [{ shell: "echo hi" }, { text: "ran it" }] }] },
    });
    const first = await post("/v1/messages", {
      model: "m",
      messages: [{ role: "user", content: "please RUN" }],
      tools: [bash],
    });
    const call = JSON.parse(first.text);
    expect(call.stop_reason).toBe("tool_use");
    expect(call.content[0]).toMatchObject({ type: "tool_use", name: "Bash", input: { command: "echo hi" } });
    // A side request between the two (no tools: a title) does not move the script on.
    const side = JSON.parse(
      (await post("/v1/messages", { model: "m", messages: [{ role: "user", content: "title for: please RUN" }] })).text,
    );
    expect(side.content[0].text).toBe("Model double side answer.");
    const after = await post("/v1/messages", {
      model: "m",
      tools: [bash],
      messages: [
        { role: "user", content: "please RUN" },
        { role: "assistant", content: [call.content[0]] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.content[0].id, content: "hi\n" }] },
      ],
    });
    expect(JSON.parse(after.text).content[0].text).toBe("ran it");
    const recorded = double.requests();
    expect(recorded.map((r) => [r.side, r.reply.kind, r.toolResults])).toEqual([
      [false, "tool", []],
      [true, "text", []],
      [false, "text", ["hi\n"]],
    ]);
  });

  it("a prompt no rule matches gets the default answer; a tool the CLI defers is called by the name the request lists", async () => {
    double = await ModelDouble.start({
      script: { rules: [{ when: "DELEGATE", steps: [{ tool: "handoff", input: { agent_profile: "developer" } }] }] },
    });
    const plain = JSON.parse(
      (await post("/v1/messages", { messages: [{ role: "user", content: "hello there" }], tools: [bash] })).text,
    );
    expect(plain.content[0].text).toBe("Model double answer: hello there");
    const deferred = JSON.parse(
      (
        await post("/v1/messages", {
          system: "deferred tools: mcp__cao-mcp-server__handoff",
          messages: [{ role: "user", content: "DELEGATE" }],
          tools: [bash],
        })
      ).text,
    );
    expect(deferred.content[0]).toMatchObject({
      type: "tool_use",
      name: "mcp__cao-mcp-server__handoff",
      input: { agent_profile: "developer" },
    });
  });

  it("a JSON script is checked field by field", () => {
    expect(() => parseScript({})).toThrow('expected {"rules": [...]}');
    expect(() => parseScript({ rules: [{ when: 3, steps: [{ text: "x" }] }] })).toThrow("rules[0].when");
    expect(() => parseScript({ rules: [{ when: "a", steps: [] }] })).toThrow(
      "rules[0].steps must be a non-empty array",
    );
    expect(() => parseScript({ rules: [{ when: "a", steps: [{ text: "x", shell: "y" }] }] })).toThrow("exactly one of");
    expect(() => parseScript({ rules: [{ when: "a", steps: [{ error: {} }] }] })).toThrow("error.status");
    expect(parseScript({ rules: [{ when: { regex: "^go" }, steps: [{ text: "x" }] }] }).rules).toHaveLength(1);
  });
});

describe("protocols", () => {
  it("Anthropic Messages: a streamed text answer in pieces, with usage; count_tokens; a scripted 529 in Anthropic's error shape", async () => {
    double = await ModelDouble.start({
      script: {
        rules: [
          { when: "slow", steps: [{ text: "abcdefgh", chunks: 4, usage: { inputTokens: 11, outputTokens: 7 } }] },
          { when: "busy", steps: [{ error: { status: 529, message: "Overloaded" } }] },
        ],
      },
    });
    const streamed = await post("/v1/messages?beta=true", {
      stream: true,
      messages: [{ role: "user", content: "slow" }],
      tools: [bash],
    });
    const events = sseData(streamed.text);
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      ...Array(4).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(
      events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => e.delta.text)
        .join(""),
    ).toBe("abcdefgh");
    expect(events.find((e) => e.type === "message_delta").usage.output_tokens).toBe(7);
    expect(JSON.parse((await post("/v1/messages/count_tokens", { messages: [] })).text).input_tokens).toBeGreaterThan(
      0,
    );
    const failed = await post("/v1/messages", { messages: [{ role: "user", content: "busy" }], tools: [bash] });
    expect(failed.status).toBe(529);
    expect(JSON.parse(failed.text)).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
  });

  it("OpenAI Responses: an exec_command call built from its schema, then the text after its output", async () => {
    double = await ModelDouble.start({
      script: { rules: [{ when: "RUN", steps: [{ shell: "ls" }, { text: "listed" }] }] },
    });
    const tools = [
      {
        type: "function",
        name: "exec_command",
        parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] },
      },
    ];
    const first = sseData(
      (
        await post("/v1/responses", {
          stream: true,
          input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "RUN" }] }],
          tools,
        })
      ).text,
    );
    expect(first.at(-1).type).toBe("response.completed");
    const call = first.find((e) => e.type === "response.output_item.done").item;
    expect(call).toMatchObject({
      type: "function_call",
      name: "exec_command",
      arguments: JSON.stringify({ cmd: "ls" }),
    });
    const input = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "RUN" }] },
      call,
      { type: "function_call_output", call_id: call.call_id, output: "a\nb" },
    ];
    const second = sseData((await post("/v1/responses", { stream: true, input, tools })).text);
    expect(
      second
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("listed");
    expect(second.at(-1).response.usage.output_tokens).toBeGreaterThan(0);
    expect(double.requests()[1]!.toolResults).toEqual(["a\nb"]);
  });

  it("OpenAI Chat Completions: tool_calls in a stream ending in [DONE]; a JSON-schema side request gets a shaped object", async () => {
    double = await ModelDouble.start({ script: { rules: [{ when: "RUN", steps: [{ shell: "pwd" }] }] } });
    const tools = [
      {
        type: "function",
        function: {
          name: "bash",
          parameters: {
            type: "object",
            properties: { command: { type: "string" }, description: { type: "string" } },
            required: ["command", "description"],
          },
        },
      },
    ];
    const chunks = sseData(
      (await post("/v1/chat/completions", { stream: true, messages: [{ role: "user", content: "RUN" }], tools })).text,
    );
    expect(chunks.at(-1)).toBe("[DONE]");
    const call = chunks.find((c) => c !== "[DONE]" && c.choices[0]?.delta?.tool_calls).choices[0].delta.tool_calls[0];
    expect(call.function.name).toBe("bash");
    expect(JSON.parse(call.function.arguments)).toEqual({ command: "pwd", description: "run a scripted command" });
    const schema = { type: "object", properties: { score: { type: "number" }, label: { enum: ["a", "b"] } } };
    const structured = JSON.parse(
      (
        await post("/v1/chat/completions", {
          messages: [{ role: "user", content: "RUN" }],
          tools,
          response_format: { type: "json_schema", json_schema: { schema } },
        })
      ).text,
    );
    expect(JSON.parse(structured.choices[0].message.content)).toEqual({ score: 1, label: "a" });
  });

  it("Gemini: streamGenerateContent as SSE, a functionCall for run_shell_command, errors in Google's shape", async () => {
    double = await ModelDouble.start({
      script: {
        rules: [
          { when: "RUN", steps: [{ shell: "printf ok" }] },
          { when: "bad", steps: [{ error: { status: 400 } }] },
        ],
      },
    });
    const tools = [
      {
        functionDeclarations: [
          {
            name: "run_shell_command",
            parametersJsonSchema: { type: "OBJECT", properties: { command: { type: "STRING" } } },
          },
        ],
      },
    ];
    const chunks = sseData(
      (
        await post("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {
          contents: [{ role: "user", parts: [{ text: "RUN" }] }],
          tools,
        })
      ).text,
    );
    expect(chunks.at(-1).candidates[0].content.parts[0].functionCall).toMatchObject({
      name: "run_shell_command",
      args: { command: "printf ok" },
    });
    expect(chunks.at(-1).usageMetadata.totalTokenCount).toBeGreaterThan(0);
    const failed = await post("/v1beta/models/gemini-2.5-pro:generateContent", {
      contents: [{ role: "user", parts: [{ text: "bad" }] }],
      tools,
    });
    expect(failed.status).toBe(400);
    expect(JSON.parse(failed.text).error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
  });
});

describe("control routes and the command", () => {
  it("PUT /_double/script replaces the script (400 naming the field for a bad one); GET /_double/requests lists what came", async () => {
    double = await ModelDouble.start();
    const put = (body: unknown) =>
      fetch(`${double!.url}/_double/script`, { method: "PUT", body: JSON.stringify(body) });
    const bad = await put({ rules: [{ when: "x", steps: [{}] }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain("rules[0].steps[0]");
    expect((await put({ rules: [{ when: "hi", steps: [{ text: "hello back" }] }] })).status).toBe(200);
    const answer = JSON.parse(
      (
        await post("/v1/chat/completions", {
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "function", function: { name: "x" } }],
        })
      ).text,
    );
    expect(answer.choices[0].message.content).toBe("hello back");
    const listed = (await (await fetch(`${double.url}/_double/requests`)).json()) as { path: string; prompt: string }[];
    expect(listed.map((r) => [r.path, r.prompt])).toEqual([["/v1/chat/completions", "hi"]]);
    expect((await post("/v1/unknown", {})).status).toBe(404);
  });

  it("cao-model-double refuses a bad port or script file with exit 2 / 1 and a clear line", async () => {
    const main = path.resolve("dist/model-double/main.js");
    const badPort = await run(process.execPath, [main, "--port", "nope"]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(badPort).toMatchObject({ code: 2 });
    expect((badPort as { stderr: string }).stderr).toContain("--port must be a port number, not nope");
    const badScript = await run(process.execPath, [main, "--script", "/nonexistent.json"]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(badScript).toMatchObject({ code: 1 });
    expect((badScript as { stderr: string }).stderr).toContain("/nonexistent.json");
  });
});
