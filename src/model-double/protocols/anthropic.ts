/**
 * Anthropic Messages (`POST /v1/messages`, what Claude Code speaks): a JSON message, or with `stream: true` the SSE
 * sequence message_start → content_block_start/delta/stop → message_delta → message_stop. Tool results come back
 * as `tool_result` blocks in a user message.
 */
import type { Conversation, OfferedTool } from "../conversation.js";
import { textOf } from "../conversation.js";
import { type Protocol, sendJson, sseData, startSse, streamPieces } from "./protocol.js";

type Block = { type?: string; text?: string; content?: unknown };
type Message = { role?: string; content?: string | Block[] };

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};

function blocks(message: Message): Block[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : (message.content ?? []);
}

let counter = 0;
const nextId = (prefix: string): string => `${prefix}_double${Date.now().toString(36)}${(++counter).toString(36)}`;

export const anthropic: Protocol = {
  name: "anthropic",
  read(body): Conversation {
    const messages = (body.messages as Message[] | undefined) ?? [];
    let promptAt = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      const content = blocks(messages[i]!);
      if (
        messages[i]!.role === "user" &&
        content.some((b) => b.type === "text") &&
        !content.some((b) => b.type === "tool_result")
      ) {
        promptAt = i;
        break;
      }
    }
    const prompt = promptAt < 0 ? "" : textOf(blocks(messages[promptAt]!).filter((b) => b.type === "text"));
    const toolResults = messages
      .slice(promptAt + 1)
      .filter((m) => m.role === "user")
      .flatMap((m) =>
        blocks(m)
          .filter((b) => b.type === "tool_result")
          .map((b) => textOf(b.content)),
      );
    const tools = ((body.tools as { name?: string; input_schema?: OfferedTool["schema"] }[] | undefined) ?? [])
      .filter((t) => typeof t.name === "string")
      .map((t) => ({ name: t.name!, ...(t.input_schema ? { schema: t.input_schema } : {}) }));
    return {
      prompt,
      toolResults,
      tools,
      system: textOf(body.system),
      model: String(body.model ?? ""),
      stream: body.stream === true,
    };
  },
  async write(out, reply, conversation, usage) {
    const id = nextId("msg");
    const model = conversation.model || "model-double";
    const tool =
      reply.kind === "tool" ? { type: "tool_use", id: reply.id, name: reply.name, input: reply.input } : undefined;
    const text = reply.kind === "text" ? reply.text : reply.kind === "json" ? JSON.stringify(reply.value) : "";
    const stopReason = tool ? "tool_use" : "end_turn";
    const finalUsage = {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    if (!conversation.stream) {
      sendJson(out, 200, {
        id,
        type: "message",
        role: "assistant",
        model,
        content: tool ? [tool] : [{ type: "text", text }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: finalUsage,
      });
      return;
    }
    startSse(out);
    sseData(
      out,
      {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...finalUsage, output_tokens: 1 },
        },
      },
      "message_start",
    );
    if (tool) {
      sseData(
        out,
        { type: "content_block_start", index: 0, content_block: { ...tool, input: {} } },
        "content_block_start",
      );
      sseData(
        out,
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(tool.input) },
        },
        "content_block_delta",
      );
    } else {
      sseData(
        out,
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        "content_block_start",
      );
      const emit = (piece: string): void =>
        sseData(
          out,
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } },
          "content_block_delta",
        );
      if (reply.kind === "text") await streamPieces(reply, emit);
      else emit(text);
    }
    sseData(out, { type: "content_block_stop", index: 0 }, "content_block_stop");
    sseData(
      out,
      {
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: usage.outputTokens },
      },
      "message_delta",
    );
    sseData(out, { type: "message_stop" }, "message_stop");
    out.end();
  },
  errorBody(status, message) {
    return { type: "error", error: { type: ERROR_TYPES[status] ?? "api_error", message } };
  },
};
