import { ORCHESTRATION_TYPES } from "../plugins/api/events.js";
import { MAX_MESSAGE_LENGTH, NAME, TERMINAL_ID } from "../util/validate.js";

/** JSON-schema fragments shared by the routes; the patterns are src/util/validate.ts's own. */
export const terminalId = { type: "string", pattern: TERMINAL_ID.source } as const;
export const sessionName = { type: "string", pattern: NAME.source } as const;
export const profileName = { type: "string", pattern: NAME.source } as const;
export const providerName = { type: "string", minLength: 1, maxLength: 64 } as const;
export const workingDirectory = { type: "string", minLength: 1, maxLength: 4096 } as const;
export const message = { type: "string", minLength: 1, maxLength: MAX_MESSAGE_LENGTH } as const;
export const orchestrationType = { type: "string", enum: [...ORCHESTRATION_TYPES] } as const;

export const sessionParams = {
  type: "object",
  required: ["session_name"],
  properties: { session_name: sessionName },
} as const;
export const terminalParams = {
  type: "object",
  required: ["terminal_id"],
  properties: { terminal_id: terminalId },
} as const;
export const receiverParams = {
  type: "object",
  required: ["receiver_id"],
  properties: { receiver_id: terminalId },
} as const;
