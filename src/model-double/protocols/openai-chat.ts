/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`; opencode, Copilot and Qwen Code speak it): a JSON completion,
 * or with `stream: true` SSE chunks of `delta`s ending in `data: [DONE]`. Tool results come back as `role: "tool"`.
 */
import type { Conversation, JsonSchema, OfferedTool } from "../conversation.js";
import { textOf } from "../conversation.js";
import { type Protocol, sendJson, sseData, startSse, streamPieces } from "./protocol.js";

type Message = { role?: string; content?: unknown };
type ResponseFormat = { type?: string; json_schema?: { schema?: JsonSchema } };

export const openaiChat: Protocol = {
  name: "openai-chat",
  read(body): Conversation {
    const messages = (body.messages as Message[] | undefined) ?? [];
    let promptAt = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]!.role === "user") {
        promptAt = i;
        break;
      }
    }
    const prompt = promptAt < 0 ? "" : textOf(messages[promptAt]!.content);
    const toolResults = messages
      .slice(promptAt + 1)
      .filter((m) => m.role === "tool")
      .map((m) => textOf(m.content));
    const tools: OfferedTool[] = (
      (body.tools as { function?: { name?: string; parameters?: JsonSchema } }[] | undefined) ?? []
    )
      .filter((t) => typeof t.function?.name === "string")
      .map((t) => ({ name: t.function!.name!, ...(t.function!.parameters ? { schema: t.function!.parameters } : {}) }));
    const format = body.response_format as ResponseFormat | undefined;
    const jsonSchema =
      format?.type === "json_schema"
        ? (format.json_schema?.schema ?? {})
        : format?.type === "json_object"
          ? {}
          : undefined;
    const system = messages
      .filter((m) => m.role === "system" || m.role === "developer")
      .map((m) => textOf(m.content))
      .join("\n");
    return {
      prompt,
      toolResults,
      tools,
      system,
      model: String(body.model ?? ""),
      stream: body.stream === true,
      ...(jsonSchema ? { jsonSchema } : {}),
    };
  },
  async write(out, reply, conversation, usage) {
    const id = `chatcmpl-double${Date.now().toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = conversation.model || "model-double";
    const toolCall =
      reply.kind === "tool"
        ? { id: reply.id, type: "function", function: { name: reply.name, arguments: JSON.stringify(reply.input) } }
        : undefined;
    const text = reply.kind === "text" ? reply.text : reply.kind === "json" ? JSON.stringify(reply.value) : "";
    const finish = toolCall ? "tool_calls" : "stop";
    const wireUsage = {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
    };
    if (!conversation.stream) {
      const message = toolCall
        ? { role: "assistant", content: null, tool_calls: [toolCall] }
        : { role: "assistant", content: text };
      sendJson(out, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage: wireUsage,
      });
      return;
    }
    const chunk = (delta: unknown, finishReason: string | null = null): unknown => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
    startSse(out);
    sseData(out, chunk({ role: "assistant", content: "" }));
    if (toolCall) sseData(out, chunk({ tool_calls: [{ index: 0, ...toolCall }] }));
    else if (reply.kind === "text") await streamPieces(reply, (piece) => sseData(out, chunk({ content: piece })));
    else sseData(out, chunk({ content: text }));
    sseData(out, chunk({}, finish));
    sseData(out, { id, object: "chat.completion.chunk", created, model, choices: [], usage: wireUsage });
    sseData(out, "[DONE]");
    out.end();
  },
  errorBody(status, message) {
    const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
    return { error: { message, type, param: null, code: type } };
  },
};
