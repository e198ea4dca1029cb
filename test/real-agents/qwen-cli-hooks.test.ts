import { agentHooksSuite } from "./agent-hooks-suite.js";

// Qwen Code ignores updatedInput in a PreToolUse reply (docs/providers/qwen_cli.md#hooks): a modify is denied.
agentHooksSuite("qwen_cli", { changedInput: "denied" });
