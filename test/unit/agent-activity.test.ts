/**
 * One line per tool call (src/contract/agent-activity.ts), shared by `cao events` and the dashboard's timeline: the
 * part of a tool's input a reader looks for first, whichever CLI spelled it.
 */
import { describe, expect, it } from "vitest";
import { oneLine, toolInputSummary } from "../../src/contract/agent-activity.js";

describe("toolInputSummary", () => {
  it("names what a call does: the command, the file, the URL, a search with where it looks", () => {
    expect(toolInputSummary({ command: "printf 'x-%d' 42", description: "print" })).toBe("printf 'x-%d' 42");
    expect(toolInputSummary({ file_path: "/src/a.ts", old_string: "x", new_string: "y" })).toBe("/src/a.ts");
    expect(toolInputSummary({ absolute_path: "/src/b.ts" })).toBe("/src/b.ts"); // Gemini's read_file
    expect(toolInputSummary({ url: "https://example.com", prompt: "summarise" })).toBe("https://example.com");
    expect(toolInputSummary({ pattern: "TODO", path: "src" })).toBe("TODO in src");
    expect(toolInputSummary({ pattern: "**/*.ts" })).toBe("**/*.ts");
  });

  it("a command given as argv: the script of a shell's -c, else the words", () => {
    expect(toolInputSummary({ command: ["bash", "-lc", "npm test"] })).toBe("npm test");
    expect(toolInputSummary({ command: ["git", "status", "--short"] })).toBe("git status --short");
  });

  it("anything else as its fields, key=value, quoted when needed; nothing for no input", () => {
    expect(toolInputSummary({ agent_profile: "developer", message: "review the parser" })).toBe(
      'agent_profile=developer message="review the parser"',
    );
    expect(toolInputSummary({ todos: [{ content: "a" }] })).toBe('todos="[{\\"content\\":\\"a\\"}]"');
    expect(toolInputSummary({})).toBe("");
    expect(toolInputSummary(undefined)).toBe("");
  });

  it("stays on one line, within its length", () => {
    expect(toolInputSummary({ command: "cd /x &&\n  make\tall" })).toBe("cd /x && make all");
    const long = toolInputSummary({ command: "x".repeat(500) }, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("oneLine", () => {
  it("folds whitespace and shows other control characters as U+FFFD, so a printed line cannot drive a terminal", () => {
    expect(oneLine("a\r\nb\u001b[2Jc\u0007")).toBe("a b\uFFFD[2Jc\uFFFD");
    expect(oneLine("  padded  ")).toBe("padded");
  });
});
