import { assertMessage, ValidationError } from "../../util/validate.js";
import { typedText } from "../../util/typed-text.js";

/**
 * The one rule for text CAO types into an agent (docs/contract.md, "Security"): a string within the size limit, with
 * control characters that could act as keystrokes removed, and something left to type. Applied to what callers send
 * and again to what an interceptor's modify returns (`changedBy` names it in the error), so a change cannot smuggle
 * keystrokes in.
 */
export function prepareText(message: string, changedBy?: string): string {
  assertMessage(message);
  const text = typedText(message);
  if (text.trim() === "") {
    throw new ValidationError(
      changedBy === undefined
        ? "message has no text once control characters are removed"
        : `${changedBy} no text to type`,
    );
  }
  return text;
}
