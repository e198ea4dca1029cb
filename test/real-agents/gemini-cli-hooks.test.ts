import { agentHooksSuite } from "./agent-hooks-suite.js";

agentHooksSuite("gemini_cli");
