import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../util/validate.js";
import { kiroCliProvider, qCliProvider } from "./chat-cli.js";
import { claudeCodeProvider } from "./claude-code.js";
import { codexProvider } from "./codex.js";
import { geminiCliProvider } from "./gemini-cli.js";
import { mockProvider } from "./mock.js";
import type { Provider } from "./provider.js";

export type { Provider, TerminalStatus, AgentProfile, LaunchContext, LaunchPlan, McpServerConfig } from "./provider.js";

/** The providers a server knows, by API id. Tests and embedders can pass their own list. */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  constructor(providers: readonly Provider[] = defaultProviders()) {
    for (const provider of providers) this.byName.set(provider.name, provider);
  }

  get(name: string): Provider {
    const provider = typeof name === "string" ? this.byName.get(name) : undefined;
    if (!provider) throw new ValidationError(`unknown provider ${JSON.stringify(name)}; known: ${[...this.byName.keys()].join(", ")}`);
    return provider;
  }

  /** Whether a provider's CLI can be started here (the mock always can: it ships with CAO). */
  installed(name: string, env: Record<string, string | undefined> = process.env): boolean {
    const provider = this.get(name);
    return provider.name === "mock" || onPath(provider.binary, env.PATH ?? "");
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** `GET /agents/providers`: each provider with whether its binary is on PATH (the mock ships with CAO). */
  describe(env: Record<string, string | undefined> = process.env): { name: string; binary: string; installed: boolean }[] {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      binary: p.binary,
      installed: this.installed(p.name, env),
    }));
  }
}

export function defaultProviders(): Provider[] {
  return [mockProvider, claudeCodeProvider, codexProvider, kiroCliProvider, qCliProvider, geminiCliProvider];
}

function onPath(binary: string, searchPath: string): boolean {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, binary), fs.constants.X_OK);
      return true;
    } catch {
      // next directory
    }
  }
  return false;
}
