/**
 * The MCP tools' results, in the Python CAO's shapes so supervisor profiles written for it work unchanged: handoff
 * `{success, message, output, terminal_id}`, assign `{success, terminal_id, message}`, send_message the inbox
 * response (or `{success: false, error}`). Each is returned as JSON text and as structuredContent; the output schemas
 * below are what tools/list declares for them. Plain JSON Schema, written out: a schema library would be loaded by
 * every agent's MCP server start for three fixed shapes.
 */

type JsonSchema = Record<string, unknown>;

const objectSchema = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  type: "object",
  properties,
  required,
});
const nullableString = (description: string): JsonSchema => ({ type: ["string", "null"], description });

export const handoffResultSchema = objectSchema(
  {
    success: { type: "boolean", description: "whether the worker finished the task" },
    message: { type: "string", description: "what happened" },
    output: nullableString("the worker's last answer"),
    terminal_id: nullableString("the worker's terminal id (closed by now)"),
  },
  ["success", "message", "output", "terminal_id"],
);
export type HandoffResult = { success: boolean; message: string; output: string | null; terminal_id: string | null };

export const assignResultSchema = objectSchema(
  {
    success: { type: "boolean", description: "whether the worker was started and given the task" },
    terminal_id: nullableString("the worker's terminal id"),
    message: { type: "string", description: "what happened" },
  },
  ["success", "terminal_id", "message"],
);
export type AssignResult = { success: boolean; terminal_id: string | null; message: string };

export const sendMessageResultSchema = objectSchema(
  {
    success: { type: "boolean", description: "whether the message was accepted into the inbox" },
    message_id: { type: "integer" },
    sender_id: { type: "string" },
    receiver_id: { type: "string" },
    created_at: { type: "string" },
    error: { type: "string", description: "why it was not accepted" },
  },
  ["success"],
);
export type SendMessageResult =
  | { success: true; message_id: number; sender_id: string; receiver_id: string; created_at: string }
  | { success: false; error: string };

/** load_skill answers with the skill's text (no outputSchema: see server.ts); a failure is this JSON. */
export type LoadSkillResult = { success: true; name: string; content: string } | { success: false; error: string };

export const deleteTerminalResultSchema = objectSchema(
  {
    success: { type: "boolean", description: "whether the terminal was deleted" },
    message: { type: "string", description: "what happened" },
  },
  ["success", "message"],
);
export type DeleteTerminalResult = { success: boolean; message: string };
