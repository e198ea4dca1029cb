import { agentHooksSuite } from "./agent-hooks-suite.js";

agentHooksSuite("opencode_cli");
