/**
 * What cao-mcp-server adds to the texts agents send each other, word for word as the Python CAO does (with its
 * default CAO_ENABLE_SENDER_ID_INJECTION=true), because supervisor and worker profiles written for it look for these
 * lines (docs/orchestration.md#caller-and-replies).
 */

/** Appended to an assign's task: who assigned it, and how to answer. */
export function assignedBy(message: string, callerId: string): string {
  return `${message}\n\n[Assigned by terminal ${callerId}. When done, send results back to terminal ${callerId} using send_message]`;
}

/** Appended to every send_message: who sent it. */
export function messageFrom(message: string, senderId: string): string {
  return `${message}\n\n[Message from terminal ${senderId}. Use send_message MCP tool for any follow-up work.]`;
}

/**
 * Put before a handoff's task when the worker runs Codex: told it is a blocking handoff, it answers in place instead
 * of calling send_message back. Other providers get the task unchanged.
 */
export function shapeHandoff(provider: string, message: string, supervisorId: string): string {
  if (provider !== "codex") return message;
  return (
    `[CAO Handoff] Supervisor terminal ID: ${supervisorId}. ` +
    "This is a blocking handoff — the orchestrator will automatically capture your response when you finish. " +
    "Complete the task and output your results directly. Do NOT use send_message to notify the supervisor " +
    "unless explicitly needed — just do the work and present your deliverables.\n\n" +
    message
  );
}
