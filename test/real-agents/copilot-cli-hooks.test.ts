import { agentHooksSuite } from "./agent-hooks-suite.js";

agentHooksSuite("copilot_cli");
