/**
 * The MCP tools' results, in the Python CAO's shapes so supervisor profiles written for it work unchanged: handoff
 * `{success, message, output, terminal_id}`, assign `{success, terminal_id, message}`, send_message the inbox
 * response (or `{success: false, error}`). Each is returned as JSON text and as structuredContent.
 */
import { z } from "zod";

export const handoffResult = {
  success: z.boolean().describe("whether the worker finished the task"),
  message: z.string().describe("what happened"),
  output: z.string().nullable().describe("the worker's last answer"),
  terminal_id: z.string().nullable().describe("the worker's terminal id (closed by now)"),
};
export type HandoffResult = { success: boolean; message: string; output: string | null; terminal_id: string | null };

export const assignResult = {
  success: z.boolean().describe("whether the worker was started and given the task"),
  terminal_id: z.string().nullable().describe("the worker's terminal id"),
  message: z.string().describe("what happened"),
};
export type AssignResult = { success: boolean; terminal_id: string | null; message: string };

export const sendMessageResult = {
  success: z.boolean().describe("whether the message was accepted into the inbox"),
  message_id: z.number().int().optional(),
  sender_id: z.string().optional(),
  receiver_id: z.string().optional(),
  created_at: z.string().optional(),
  error: z.string().optional().describe("why it was not accepted"),
};
export type SendMessageResult =
  | { success: true; message_id: number; sender_id: string; receiver_id: string; created_at: string }
  | { success: false; error: string };
