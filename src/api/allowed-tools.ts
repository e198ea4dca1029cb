import { ValidationError } from "../util/validate.js";

const MAX_TOOLS = 256;
const MAX_TOOL_LENGTH = 256;

/**
 * `allowed_tools` as the routes take it: the Python CAO's comma-separated string (`execute_bash,fs_read`, usually in
 * the query) or a JSON array of names. Undefined when absent; a 400 naming the field for anything else, so a typo
 * never silently launches an agent with other tools than asked (docs/contract.md, "POST /sessions").
 */
export function parseAllowedTools(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const entries =
    typeof value === "string"
      ? value.split(",").map((entry) => entry.trim())
      : Array.isArray(value)
        ? value.map((entry: unknown) => {
            if (typeof entry !== "string")
              throw new ValidationError(`allowed_tools entries must be strings (got ${JSON.stringify(entry)})`);
            return entry.trim();
          })
        : undefined;
  if (entries === undefined)
    throw new ValidationError("allowed_tools must be a comma-separated string or an array of tool names");
  if (entries.length === 0 || entries.some((entry) => entry === ""))
    throw new ValidationError(`allowed_tools must name tools, without empty entries (got ${JSON.stringify(value)})`);
  if (entries.length > MAX_TOOLS) throw new ValidationError(`allowed_tools names more than ${MAX_TOOLS} tools`);
  const bad = entries.find((entry) => entry.length > MAX_TOOL_LENGTH || /[\p{Cc},]/u.test(entry));
  if (bad !== undefined)
    throw new ValidationError(
      `allowed_tools entry ${JSON.stringify(bad.slice(0, 40))} is not a tool name (at most ${MAX_TOOL_LENGTH} characters, no commas or control characters)`,
    );
  return entries;
}
