/** The Python CAO's rule for a handoff/assign worker's allowed_tools, and the texts the MCP tools add. */
import { describe, expect, it } from "vitest";
import { assignedBy, messageFrom, shapeHandoff } from "../../src/mcp/reply-texts.js";
import { workerAllowedTools } from "../../src/mcp/worker-tools.js";

describe("workerAllowedTools", () => {
  it.each([
    ["caller without a list, profile without one", null, undefined, undefined],
    ["caller without a list, profile with one", null, ["fs_read"], ["fs_read"]],
    ["unrestricted caller, profile without a list", ["*"], undefined, undefined],
    ["unrestricted caller, profile with one", ["*", "x"], ["fs_read"], ["fs_read"]],
    [
      "restricted caller, profile without a list: inherited",
      ["fs_read", "@cao-mcp-server"],
      undefined,
      ["fs_read", "@cao-mcp-server"],
    ],
    ["restricted caller, unrestricted profile", ["fs_read"], ["*"], undefined],
    ["restricted caller, restricted profile: the profile's", ["fs_read"], ["execute_bash"], ["execute_bash"]],
  ] as const)("%s", (_case, caller, profile, expected) => {
    expect(workerAllowedTools(caller, profile)).toEqual(expected);
  });

  it("returns a copy, never the caller's own array", () => {
    const caller = ["fs_read"];
    const tools = workerAllowedTools(caller, undefined)!;
    tools.push("x");
    expect(caller).toEqual(["fs_read"]);
  });
});

describe("reply texts", () => {
  it("appends the Python CAO's lines and shapes codex handoffs only", () => {
    expect(assignedBy("task", "abcd1234")).toBe(
      "task\n\n[Assigned by terminal abcd1234. When done, send results back to terminal abcd1234 using send_message]",
    );
    expect(messageFrom("hi", "abcd1234")).toBe(
      "hi\n\n[Message from terminal abcd1234. Use send_message MCP tool for any follow-up work.]",
    );
    expect(shapeHandoff("mock", "task", "abcd1234")).toBe("task");
    expect(shapeHandoff("codex", "task", "abcd1234")).toMatch(
      /^\[CAO Handoff\] Supervisor terminal ID: abcd1234\. This is a blocking handoff .*\n\ntask$/,
    );
  });
});
