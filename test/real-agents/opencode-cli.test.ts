import { caoMcpCheck } from "./cao-mcp-check.js";
import { providerSuite } from "./provider-suite.js";

providerSuite("opencode_cli");
caoMcpCheck("opencode_cli", { sendMessageTool: "cao-mcp-server_send_message", offered: true });
