import { providerSuite } from "./provider-suite.js";

providerSuite("claude_code");
