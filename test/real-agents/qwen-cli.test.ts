import { caoMcpCallSuite } from "./cao-mcp-call.js";
import { providerSuite } from "./provider-suite.js";

providerSuite("qwen_cli");
// Qwen Code defers MCP tools: announced as mcp__<server>__<tool> in a reminder, called through its tool_call bridge.
caoMcpCallSuite("qwen_cli", { toolName: "mcp__cao-mcp-server__send_message", via: "tool_call" });
