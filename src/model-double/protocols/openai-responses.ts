/**
 * OpenAI Responses (`POST /v1/responses`; Codex speaks only this): `input` items in, and with `stream: true` the
 * SSE sequence response.created → output_item.added → output_text.delta… → output_item.done → response.completed.
 * Tool results come back as `function_call_output` items; MCP tools are offered inside `namespace` tools.
 */
import type { Conversation, JsonSchema, OfferedTool } from "../conversation.js";
import { textOf } from "../conversation.js";
import { type Protocol, sendJson, sseData, startSse, streamPieces } from "./protocol.js";

type Item = { type?: string; role?: string; content?: unknown; output?: unknown };
type WireTool = { type?: string; name?: string; parameters?: JsonSchema; tools?: WireTool[] };

function offered(tools: WireTool[], namespace?: string): OfferedTool[] {
  return tools.flatMap((tool): OfferedTool[] => {
    if (tool.type === "namespace" && Array.isArray(tool.tools)) return offered(tool.tools, tool.name);
    if (typeof tool.name !== "string") return [];
    return [
      { name: tool.name, ...(namespace ? { namespace } : {}), ...(tool.parameters ? { schema: tool.parameters } : {}) },
    ];
  });
}

const isResult = (item: Item): boolean =>
  item.type === "function_call_output" || item.type === "custom_tool_call_output";

export const openaiResponses: Protocol = {
  name: "openai-responses",
  read(body): Conversation {
    const input =
      typeof body.input === "string"
        ? [{ role: "user", content: body.input }]
        : ((body.input as Item[] | undefined) ?? []);
    let promptAt = -1;
    for (let i = input.length - 1; i >= 0; i--) {
      if (input[i]!.role === "user" && (input[i]!.type === undefined || input[i]!.type === "message")) {
        promptAt = i;
        break;
      }
    }
    const prompt = promptAt < 0 ? "" : textOf(input[promptAt]!.content);
    const toolResults = input
      .slice(promptAt + 1)
      .filter(isResult)
      .map((item) => textOf(item.output));
    const format = (body.text as { format?: { type?: string; schema?: JsonSchema } } | undefined)?.format;
    const jsonSchema = format?.type === "json_schema" ? (format.schema ?? {}) : undefined;
    return {
      prompt,
      toolResults,
      tools: offered((body.tools as WireTool[] | undefined) ?? []),
      system: textOf(body.instructions),
      model: String(body.model ?? ""),
      stream: body.stream === true,
      ...(jsonSchema ? { jsonSchema } : {}),
    };
  },
  async write(out, reply, conversation, usage) {
    const id = `resp_double${Date.now().toString(36)}`;
    const model = conversation.model || "model-double";
    const created_at = Math.floor(Date.now() / 1000);
    const text = reply.kind === "text" ? reply.text : reply.kind === "json" ? JSON.stringify(reply.value) : "";
    const item =
      reply.kind === "tool"
        ? {
            type: "function_call",
            id: `fc_${reply.id}`,
            call_id: reply.id,
            name: reply.name,
            ...(reply.namespace ? { namespace: reply.namespace } : {}),
            arguments: JSON.stringify(reply.input),
            status: "completed",
          }
        : {
            type: "message",
            id: `msg_${id}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text, annotations: [] }],
          };
    const wireUsage = {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    };
    const response = (status: string, output: unknown[]): unknown => ({
      id,
      object: "response",
      created_at,
      status,
      model,
      output,
      ...(status === "completed" ? { usage: wireUsage } : {}),
    });
    if (!conversation.stream) {
      sendJson(out, 200, response("completed", [item]));
      return;
    }
    let seq = 0;
    const event = (type: string, fields: Record<string, unknown>): void =>
      sseData(out, { type, sequence_number: seq++, ...fields }, type);
    startSse(out);
    event("response.created", { response: response("in_progress", []) });
    if (item.type === "function_call") {
      event("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", arguments: "" } });
      event("response.function_call_arguments.done", {
        item_id: item.id,
        output_index: 0,
        arguments: (item as { arguments: string }).arguments,
      });
    } else {
      event("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } });
      event("response.content_part.added", {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [] },
      });
      const emit = (delta: string): void =>
        event("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta });
      if (reply.kind === "text") await streamPieces(reply, emit);
      else emit(text);
      event("response.output_text.done", { item_id: item.id, output_index: 0, content_index: 0, text });
      event("response.content_part.done", {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { type: "output_text", text, annotations: [] },
      });
    }
    event("response.output_item.done", { output_index: 0, item });
    event("response.completed", { response: response("completed", [item]) });
    out.end();
  },
  errorBody(status, message) {
    const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
    return { error: { message, type, param: null, code: type } };
  },
};
