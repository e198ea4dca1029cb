import { agentHooksSuite } from "./agent-hooks-suite.js";

agentHooksSuite("claude_code");
