import { agentHooksSuite } from "./agent-hooks-suite.js";

agentHooksSuite("codex");
