// The tests' view of the real agent CLIs that install-agent-clis.mjs puts in the cache (npm test runs it first).
// The cache path and the rules for "installed" repeat the installer's: keep the two in step.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One entry of agent-clis.json: a provider's CLI, pinned to an exact npm version. */
export interface AgentCliPin {
  provider: string;
  package: string;
  version: string;
  bin: string;
}

export interface AgentCli extends AgentCliPin {
  /** The npm prefix this CLI alone is installed in: <cache>/<provider>-<version>. */
  prefix: string;
  /** Absolute path of node_modules/.bin/<bin>. */
  binPath: string;
  /** node_modules/.bin of the prefix, to put first on an agent's PATH. */
  binDir: string;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "../..");
const INSTALL_COMMAND = "node test/real-agents/install-agent-clis.mjs";

export const AGENT_CLI_PINS: readonly AgentCliPin[] = JSON.parse(
  readFileSync(path.join(HERE, "agent-clis.json"), "utf8"),
);

/** Where the CLIs are installed: $CAO_AGENT_CLI_CACHE, else <repo>/.cache/agent-clis. */
export function agentCliCache(): string {
  const fromEnv = process.env.CAO_AGENT_CLI_CACHE;
  return fromEnv ? path.resolve(fromEnv) : path.join(REPO_ROOT, ".cache", "agent-clis");
}

/**
 * Variables that keep the CLIs from checking for or fetching updates (the installer's --version check uses the
 * same). Copilot unpacks ~235 MB on first use: pointing every run at one place in the cache does that once.
 */
export function agentCliNoUpdateEnv(): Record<string, string> {
  return {
    DISABLE_AUTOUPDATER: "1",
    COPILOT_OFFLINE: "true",
    COPILOT_AUTO_UPDATE: "false",
    COPILOT_PKG_CACHE_HOME: path.join(agentCliCache(), "copilot-pkg"),
  };
}

/** The installed CLI of a provider; throws, naming the command that installs it, when it is not there. */
export function agentCli(provider: string): AgentCli {
  const pin = AGENT_CLI_PINS.find((p) => p.provider === provider);
  if (!pin) {
    const known = AGENT_CLI_PINS.map((p) => p.provider).join(", ");
    throw new Error(
      `no agent CLI is pinned for provider "${provider}" (test/real-agents/agent-clis.json has ${known})`,
    );
  }
  const prefix = path.join(agentCliCache(), `${pin.provider}-${pin.version}`);
  const binDir = path.join(prefix, "node_modules", ".bin");
  const binPath = path.join(binDir, pin.bin);
  const problem = whyNotInstalled(pin, prefix, binPath);
  if (problem) {
    throw new Error(`${pin.package}@${pin.version} (${provider}) is not installed: ${problem}; run ${INSTALL_COMMAND}`);
  }
  return { ...pin, prefix, binPath, binDir };
}

function whyNotInstalled(pin: AgentCliPin, prefix: string, binPath: string): string | undefined {
  const manifestPath = path.join(prefix, "node_modules", pin.package, "package.json");
  let version: unknown;
  try {
    version = JSON.parse(readFileSync(manifestPath, "utf8")).version;
  } catch {
    return `${manifestPath} is missing or unreadable`;
  }
  if (version !== pin.version) return `${manifestPath} has version ${String(version)}`;
  if (!existsSync(binPath)) return `${binPath} is missing`;
  // The installer writes this marker last, after the CLI answered --version: without it the install is partial.
  if (!existsSync(path.join(prefix, ".installed"))) return "its install did not finish";
  return undefined;
}
