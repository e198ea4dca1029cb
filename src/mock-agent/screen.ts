/**
 * The mock agent's screen vocabulary, shared by the agent (which prints it) and the mock provider (which reads it),
 * so the two cannot drift apart.
 */
export const MOCK_PROMPT = "mock> ";
export const MOCK_ANSWER_MARK = "● ";
export const MOCK_CONTINUATION = "  ";
export const MOCK_ERROR_MARK = "✗ Error: ";
export const MOCK_ASK = "Allow this action? [y/n]";
export const MOCK_SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
export const MOCK_WORKING = "working…";
/** Shown for each further line of a multi-line message, after the first on the prompt line. */
export const MOCK_INPUT_CONTINUATION = "… ";
export const MOCK_BANNER = "CAO mock agent";

/** Inline switches a message may carry, for tests: `[[delay=2000]]`, `[[ask]]`, `[[error]]`. */
export interface MockSwitches {
  delayMs?: number;
  ask: boolean;
  error: boolean;
}

export function parseSwitches(message: string): MockSwitches {
  const delay = /\[\[delay=(\d{1,6})\]\]/.exec(message);
  return {
    ...(delay ? { delayMs: Number(delay[1]) } : {}),
    ask: message.includes("[[ask]]"),
    error: message.includes("[[error]]"),
  };
}

/** The deterministic answer: what handoff returns to the supervisor in tests. */
export function mockAnswer(profile: string, message: string): string[] {
  const firstLine = message
    .replace(/\[\[[^\]]*\]\]/g, "")
    .trim()
    .split("\n")[0]!
    .slice(0, 200);
  const lines = message.trim().split("\n").length;
  return [
    `Mock answer (${profile}): ${firstLine}`,
    `(${message.length} characters, ${lines} line${lines === 1 ? "" : "s"} received)`,
  ];
}
