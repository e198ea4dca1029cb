import { caoMcpCheck } from "./cao-mcp-check.js";
import { providerSuite } from "./provider-suite.js";

providerSuite("copilot_cli");
caoMcpCheck("copilot_cli", { sendMessageTool: "cao-mcp-server-send_message", offered: true });
