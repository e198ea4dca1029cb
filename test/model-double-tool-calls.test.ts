/**
 * The model double's named tool steps: an offered tool is called by its own name; a deferred MCP tool (announced by
 * name in the request, not offered) through the CLI's `tool_call` bridge when there is one, else by its full name.
 */
import { describe, expect, it } from "vitest";
import { namedCall } from "../src/model-double/tool-calls.js";

const bridge = {
  name: "tool_call",
  schema: { type: "object", properties: { name: { type: "string" }, arguments: { type: "object" } } },
};
const reminder = JSON.stringify({
  messages: [
    { role: "user", content: '- "mcp__cao-mcp-server__handoff": "Start…"\n- "mcp__cao-mcp-server__handoff_x": "…"' },
  ],
});

describe("namedCall", () => {
  it("calls an offered tool by its own name (Gemini CLI's mcp_<server>_<tool>)", () => {
    expect(namedCall("handoff", { a: 1 }, [{ name: "mcp_cao-mcp-server_handoff" }], reminder)).toEqual({
      name: "mcp_cao-mcp-server_handoff",
      input: { a: 1 },
    });
  });

  it("calls a deferred tool through Qwen Code's tool_call bridge", () => {
    expect(namedCall("handoff", { a: 1 }, [bridge], reminder)).toEqual({
      name: "tool_call",
      input: { name: "mcp__cao-mcp-server__handoff", arguments: { a: 1 } },
    });
    expect(namedCall("mcp__cao-mcp-server__handoff", { a: 1 }, [bridge], reminder).input).toEqual({
      name: "mcp__cao-mcp-server__handoff",
      arguments: { a: 1 },
    });
  });

  it("calls a deferred tool by its full name when the CLI offers no bridge (Claude Code)", () => {
    expect(namedCall("handoff", { a: 1 }, [{ name: "ToolSearch" }], reminder)).toEqual({
      name: "mcp__cao-mcp-server__handoff",
      input: { a: 1 },
    });
  });

  it("calls a tool neither offered nor announced by the name given", () => {
    expect(namedCall("assign", { a: 1 }, [bridge], reminder)).toEqual({ name: "assign", input: { a: 1 } });
  });
});
