/**
 * What an agent is doing, in one line (docs/contract.md#agent-hooks): the part of a tool's input a reader looks for
 * first (the shell command, the file, the pattern, the URL), whatever the CLI. `cao events` and the dashboard's
 * timeline both show tool calls with it, so they say the same thing about the same call.
 */

/** The input keys that say what a call does, most telling first (Claude, Codex, Gemini, Qwen and opencode spellings). */
const SUBJECT_KEYS = [
  "command",
  "cmd",
  "file_path",
  "filePath",
  "absolute_path",
  "notebook_path",
  "url",
  "query",
  "pattern",
  "path",
  "dir_path",
  "description",
  "prompt",
] as const;

/**
 * Whitespace (newlines included) folded to single spaces, other control characters (an escape sequence in a tool's
 * output) shown as U+FFFD so a terminal printing the line cannot be driven by it, cut to `max` characters.
 */
export function oneLine(text: string, max = 160): string {
  const flat = text
    .replace(/\s+/g, " ")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "\uFFFD")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A command given as argv (Codex: `["bash", "-lc", "script"]`): the script of a shell's -c, else the words joined. */
function commandText(value: readonly unknown[]): string {
  const words = value.map((word) => (typeof word === "string" ? word : JSON.stringify(word)));
  const dashC = words.findIndex((word) => /^-l?c$/.test(word));
  return dashC >= 0 && dashC === words.length - 2 ? words[dashC + 1]! : words.join(" ");
}

function scalar(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * One line saying what a tool call does: `printf 'x-%d' 42` for a shell command, `/src/app.ts` for an edit,
 * `TODO in src` for a search; otherwise its scalar fields as `key=value`. At most `max` characters.
 */
export function toolInputSummary(input: Readonly<Record<string, unknown>> | null | undefined, max = 160): string {
  if (!input) return "";
  for (const key of SUBJECT_KEYS) {
    const value = input[key];
    if (key === "command" && Array.isArray(value)) return oneLine(commandText(value), max);
    const text = scalar(value);
    if (text === undefined || text === "") continue;
    // A search names where it looks too.
    const where = key === "pattern" || key === "query" ? scalar(input.path) : undefined;
    return oneLine(where ? `${text} in ${where}` : text, max);
  }
  const fields = Object.entries(input)
    .map(([key, value]) => {
      const text = scalar(value) ?? JSON.stringify(value);
      return text === undefined ? undefined : `${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .filter((field): field is string => field !== undefined);
  return oneLine(fields.join(" "), max);
}
