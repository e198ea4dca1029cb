import { caoMcpCallSuite } from "./cao-mcp-call.js";
import { providerSuite } from "./provider-suite.js";

providerSuite("gemini_cli");
// Gemini CLI offers MCP tools directly, named mcp_<server>_<tool>.
caoMcpCallSuite("gemini_cli", { toolName: "mcp_cao-mcp-server_send_message" });
