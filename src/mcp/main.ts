#!/usr/bin/env node
// The bin cao-mcp-server: what agent CLIs start over stdio.
import { runMcpServer } from "./server.js";

runMcpServer().catch((error: unknown) => {
  process.stderr.write(`cao-mcp-server: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
