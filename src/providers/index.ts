import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../util/validate.js";
import { kiroCliProvider, qCliProvider } from "./chat-cli.js";
import { claudeCodeProvider } from "./claude-code.js";
import { codexProvider } from "./codex.js";
import { copilotCliProvider } from "./copilot-cli.js";
import { geminiCliProvider } from "./gemini-cli.js";
import { mockCliProvider, mockProvider } from "./mock.js";
import { qwenCliProvider } from "./qwen-cli.js";
import { opencodeCliProvider } from "./opencode-cli.js";
import type { Provider } from "./provider.js";

export type { Provider, TerminalStatus, AgentProfile, LaunchContext, LaunchPlan, McpServerConfig } from "./provider.js";

/** The providers a server knows, by API id. Tests and embedders can pass their own list. */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  /** `env` is the server's environment: its PATH is where CLIs are looked up (default: this process's). */
  constructor(
    providers: readonly Provider[] = defaultProviders(),
    readonly env: Record<string, string | undefined> = process.env,
  ) {
    for (const provider of providers) this.byName.set(provider.name, provider);
  }

  get(name: string): Provider {
    const provider = typeof name === "string" ? this.byName.get(name) : undefined;
    if (!provider)
      throw new ValidationError(
        `unknown provider ${JSON.stringify(name)}; known: ${[...this.byName.keys()].join(", ")}`,
      );
    return provider;
  }

  /** Whether a provider's CLI can be started here (a bundled one always can: it ships with CAO). */
  installed(name: string, env: Record<string, string | undefined> = this.env): boolean {
    const provider = this.get(name);
    return provider.bundled === true || findOnPath(provider.binary, env.PATH ?? "") !== undefined;
  }

  /**
   * The absolute path a terminal launches the CLI from: found on the server's PATH, the same lookup as `installed`.
   * An agent's pane starts a login shell whose PATH may differ, so the bare name is never relied on there.
   */
  binaryPath(name: string, env: Record<string, string | undefined> = this.env): string | undefined {
    const provider = this.get(name);
    return provider.bundled ? provider.binary : findOnPath(provider.binary, env.PATH ?? "");
  }

  /** The PATH agents get: the server's, so what `GET /agents/providers` found is what the agent finds too. */
  agentPath(): string {
    return this.env.PATH ?? "";
  }

  /** The known providers' API ids, in registration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** `GET /agents/providers`: each provider with whether its binary is on PATH (the mock ships with CAO). */
  describe(env: Record<string, string | undefined> = this.env): { name: string; binary: string; installed: boolean }[] {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      binary: p.binary,
      installed: this.installed(p.name, env),
    }));
  }
}

export function defaultProviders(): Provider[] {
  return [
    mockProvider,
    mockCliProvider,
    claudeCodeProvider,
    codexProvider,
    kiroCliProvider,
    qCliProvider,
    geminiCliProvider,
    qwenCliProvider,
    copilotCliProvider,
    opencodeCliProvider,
  ];
}

/** The first executable file named `binary` in the directories of `searchPath`, as an absolute path. */
export function findOnPath(binary: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue; // a relative entry would depend on the pane's cwd
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // next directory
    }
  }
  return undefined;
}
