/**
 * A terminal's resolved tool access, kept beside its other launch files ($CAO_HOME/runtime/<id>/tool-access.json) so
 * the hook check finds it after a server restart too, and it goes when the terminal does.
 */
import fs from "node:fs";
import path from "node:path";
import type { LaunchFile } from "../../providers/provider.js";
import type { ToolAccess } from "./resolve-tools.js";

const FILE_NAME = "tool-access.json";

export interface RecordedToolAccess extends ToolAccess {
  /** The MCP servers the agent was given (CAO's own and the profile's), to tell their tools from the CLI's. */
  mcpServers: string[];
}

export function toolAccessLaunchFile(runtimeDir: string, access: RecordedToolAccess): LaunchFile {
  return { path: path.join(runtimeDir, FILE_NAME), content: `${JSON.stringify(access, null, 2)}\n` };
}

/** Reads each terminal's recorded access once; a terminal without one (launched before CAO kept it) has none. */
export class ToolAccessReader {
  private readonly cache = new Map<string, RecordedToolAccess | undefined>();

  constructor(private readonly runtimeDir: (terminalId: string) => string) {}

  accessOf(terminalId: string): RecordedToolAccess | undefined {
    if (this.cache.has(terminalId)) return this.cache.get(terminalId);
    let access: RecordedToolAccess | undefined;
    try {
      const parsed = JSON.parse(fs.readFileSync(path.join(this.runtimeDir(terminalId), FILE_NAME), "utf8"));
      if (Array.isArray(parsed?.allowed) && Array.isArray(parsed?.mcpServers)) access = parsed as RecordedToolAccess;
    } catch {
      access = undefined;
    }
    // Only a found file is cached: a terminal still being launched writes its file just before its agent starts.
    if (access) this.cache.set(terminalId, access);
    return access;
  }

  forget(terminalId: string): void {
    this.cache.delete(terminalId);
  }
}
