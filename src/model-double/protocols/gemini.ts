/**
 * Gemini (`POST /v1beta/models/<model>:generateContent` and `:streamGenerateContent?alt=sse`; Gemini CLI speaks it):
 * `contents` of `parts` in, candidates out. Tool results come back as `functionResponse` parts in a user turn.
 */
import type { Conversation, JsonSchema, OfferedTool } from "../conversation.js";
import { textOf } from "../conversation.js";
import { type Protocol, sendJson, sseData, startSse, streamPieces } from "./protocol.js";

type Part = { text?: string; functionCall?: unknown; functionResponse?: { response?: unknown } };
type Content = { role?: string; parts?: Part[] };
type Declaration = { name?: string; parameters?: JsonSchema; parametersJsonSchema?: JsonSchema };

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/** `models/<model>:<method>` from the request path. */
export function geminiTarget(url: URL): { model: string; method: string } | undefined {
  const match = /\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
  return match ? { model: decodeURIComponent(match[1]!), method: match[2]! } : undefined;
}

export const gemini: Protocol = {
  name: "gemini",
  read(body, url): Conversation {
    const contents = (body.contents as Content[] | undefined) ?? [];
    let promptAt = -1;
    for (let i = contents.length - 1; i >= 0; i--) {
      const parts = contents[i]!.parts ?? [];
      if (
        contents[i]!.role !== "model" &&
        parts.some((p) => typeof p.text === "string") &&
        !parts.some((p) => p.functionResponse)
      ) {
        promptAt = i;
        break;
      }
    }
    const prompt =
      promptAt < 0 ? "" : textOf((contents[promptAt]!.parts ?? []).filter((p) => typeof p.text === "string"));
    const toolResults = contents
      .slice(promptAt + 1)
      .flatMap((c) => (c.parts ?? []).filter((p) => p.functionResponse))
      .map((p) => {
        const response = p.functionResponse!.response;
        return typeof response === "string" ? response : textOf(response) || JSON.stringify(response ?? null);
      });
    const tools: OfferedTool[] = ((body.tools as { functionDeclarations?: Declaration[] }[] | undefined) ?? [])
      .flatMap((t) => t.functionDeclarations ?? [])
      .filter((d) => typeof d.name === "string")
      .map((d) => {
        const schema = d.parametersJsonSchema ?? d.parameters;
        return { name: d.name!, ...(schema ? { schema: lowerTypes(schema) } : {}) };
      });
    const config =
      (body.generationConfig as
        { responseJsonSchema?: JsonSchema; responseSchema?: JsonSchema; responseMimeType?: string } | undefined) ?? {};
    const schema = config.responseJsonSchema ?? config.responseSchema;
    const jsonSchema = schema ? lowerTypes(schema) : config.responseMimeType === "application/json" ? {} : undefined;
    const target = geminiTarget(url);
    return {
      prompt,
      toolResults,
      tools,
      system: textOf((body.systemInstruction as Content | undefined)?.parts ?? ""),
      model: target?.model ?? "",
      stream: target?.method === "streamGenerateContent",
      ...(jsonSchema ? { jsonSchema } : {}),
    };
  },
  async write(out, reply, conversation, usage) {
    const usageMetadata = {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.outputTokens,
    };
    const chunk = (parts: unknown[], last: boolean): unknown => ({
      candidates: [{ content: { role: "model", parts }, index: 0, ...(last ? { finishReason: "STOP" } : {}) }],
      ...(last ? { usageMetadata } : {}),
      modelVersion: conversation.model || "model-double",
      responseId: `double${Date.now().toString(36)}`,
    });
    const text = reply.kind === "text" ? reply.text : reply.kind === "json" ? JSON.stringify(reply.value) : "";
    const callPart =
      reply.kind === "tool" ? { functionCall: { id: reply.id, name: reply.name, args: reply.input } } : undefined;
    if (!conversation.stream) {
      sendJson(out, 200, chunk(callPart ? [callPart] : [{ text }], true));
      return;
    }
    startSse(out);
    if (callPart) sseData(out, chunk([callPart], true));
    else if (reply.kind === "text") {
      const pending: string[] = [];
      await streamPieces(reply, (piece) => {
        if (pending.length > 0) sseData(out, chunk([{ text: pending.shift()! }], false));
        pending.push(piece);
      });
      sseData(out, chunk([{ text: pending.shift() ?? "" }], true));
    } else sseData(out, chunk([{ text }], true));
    out.end();
  },
  errorBody(status, message) {
    return { error: { code: status, message, status: STATUS_NAMES[status] ?? "INTERNAL" } };
  },
};

/** Gemini schemas spell types in upper case (`OBJECT`, `STRING`); the rest of the double reads JSON Schema's. */
function lowerTypes(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (typeof schema.type === "string") out.type = schema.type.toLowerCase();
  if (schema.properties)
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, lowerTypes(v)]));
  if (schema.items) out.items = lowerTypes(schema.items);
  if (schema.anyOf) out.anyOf = schema.anyOf.map(lowerTypes);
  return out;
}
