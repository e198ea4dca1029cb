/**
 * One model request, read into what the script needs whatever the wire protocol: the latest prompt, the tool
 * results that followed it, the tools offered, and whether structured (JSON) output was asked for. Each protocol
 * module turns its request body into this, and turns a `Reply` back into its own wire format.
 */

/** A tool as offered in the request: its name, the namespace it sits in (Codex MCP tools), its JSON schema. */
export interface OfferedTool {
  name: string;
  namespace?: string;
  schema?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

export interface Conversation {
  /** The text of the latest user message that is not a tool result (system reminders included as sent). */
  prompt: string;
  /** The tool results after that message, oldest first, as text. */
  toolResults: string[];
  tools: OfferedTool[];
  /** The system prompt / instructions as text (for assertions). */
  system: string;
  /** A schema when the request asks for JSON output (routing classifiers, structured side requests). */
  jsonSchema?: JsonSchema;
  model: string;
  stream: boolean;
}

/** What the double answers, before it is written in the protocol's format. */
export type Reply =
  | { kind: "text"; text: string; chunks: number; chunkDelayMs: number }
  | { kind: "tool"; id: string; name: string; namespace?: string; input: Record<string, unknown> }
  | { kind: "json"; value: unknown }
  | { kind: "error"; status: number; message: string };

/** Text of a content value that may be a string, a list of parts with `text`, or something else. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map(textOf).filter(Boolean).join("\n");
  if (typeof content === "object" && content !== null) {
    const part = content as Record<string, unknown>;
    if (typeof part.text === "string") return part.text;
    if ("content" in part) return textOf(part.content);
    if ("output" in part) return textOf(part.output);
  }
  return "";
}

/** An object shaped like `schema` (strings, numbers, enums, nested objects) — what a structured side request wants. */
export function shapeFromSchema(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return {};
  if (schema.enum?.length) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return shapeFromSchema(alternatives[0], depth + 1);
  const type = (Array.isArray(schema.type) ? schema.type[0] : schema.type)?.toLowerCase();
  switch (type) {
    case "string":
      return "ok";
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    case "null":
      return null;
    default: {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) out[key] = shapeFromSchema(sub, depth + 1);
      return out;
    }
  }
}

/** A rough token count (4 characters a token), for usage when the script gives none. */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
