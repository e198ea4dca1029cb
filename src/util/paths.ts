/**
 * Where everything of CAO's lives under CAO_HOME (docs/contract.md, "Paths"): the one place that spells these paths.
 * Variables that move one of them (CAO_PLUGINS_DIR, CAO_CONFIG) are read here too.
 */
import os from "node:os";
import path from "node:path";
import type { Env } from "./env.js";

export class CaoPaths {
  /** CAO_HOME (default ~/.cao). */
  readonly home: string;

  constructor(private readonly env: Env = process.env) {
    this.home = path.resolve(env.CAO_HOME || path.join(os.homedir(), ".cao"));
  }

  /** The layout under a CAO_HOME already resolved (no other variable applies). */
  static of(home: string): CaoPaths {
    return new CaoPaths({ CAO_HOME: home });
  }

  /** As `of`, with the HOME and CAO_HOME_DIR of `env` for the Python CAO's directories (`pythonHome`). */
  static withPythonHome(home: string, env: Env): CaoPaths {
    return new CaoPaths({ CAO_HOME: home, HOME: env.HOME, CAO_HOME_DIR: env.CAO_HOME_DIR });
  }

  /** The SQLite database. */
  get database(): string {
    return path.join(this.home, "db", "cao.db");
  }

  /** The drop-in plugin directory (CAO_PLUGINS_DIR, default $CAO_HOME/plugins). */
  get plugins(): string {
    return path.resolve(this.env.CAO_PLUGINS_DIR || path.join(this.home, "plugins"));
  }

  /** The user's configuration file (CAO_CONFIG, default $CAO_HOME/config.yaml). */
  get config(): string {
    return path.resolve(this.env.CAO_CONFIG || path.join(this.home, "config.yaml"));
  }

  /** Where `cao plugins install` puts npm plugins (its package.json and node_modules). */
  get npmPrefix(): string {
    return this.home;
  }

  /** Local agent profiles. */
  get agentStore(): string {
    return path.join(this.home, "agent-store");
  }

  /** Where `POST /flows` writes the flow files it is given as fields (docs/flows.md). */
  get flows(): string {
    return path.join(this.home, "flows");
  }

  /** Installed skills, one directory per skill holding its SKILL.md (docs/skills.md). */
  get skills(): string {
    return path.join(this.home, "skills");
  }

  /**
   * Settings in the Python CAO's settings.json format: extra profile and skill directories (docs/profiles.md) and
   * custom roles (docs/tool-restrictions.md).
   */
  get settings(): string {
    return path.join(this.home, "settings.json");
  }

  /** Values for `${VAR}` in profiles that the server's environment lacks (`cao install --env KEY=VALUE`). */
  get envFile(): string {
    return path.join(this.home, ".env");
  }

  /**
   * The Python CAO's home (`CAO_HOME_DIR`, default `~/.aws/cli-agent-orchestrator`), whose agent store, skills and
   * settings are read too so its users switch unchanged. HOME comes from the given environment, so a test can isolate it.
   */
  get pythonHome(): string {
    const relocated = this.env.CAO_HOME_DIR?.trim();
    if (relocated) return path.resolve(relocated);
    return path.join(this.env.HOME || os.homedir(), ".aws", "cli-agent-orchestrator");
  }

  get logs(): string {
    return path.join(this.home, "logs");
  }

  /** Each terminal's pane log (tmux pipe-pane) lives here, one file per terminal. */
  get terminalLogs(): string {
    return path.join(this.logs, "terminal");
  }

  terminalLog(terminalId: string): string {
    return path.join(this.terminalLogs, `${terminalId}.log`);
  }

  /** A terminal's launch files (MCP configuration, settings); removed with the terminal. */
  runtime(terminalId: string): string {
    return path.join(this.home, "runtime", terminalId);
  }

  /**
   * The key each terminal's hook secret is derived from (docs/contract.md#agent-hooks): made once, 0600, so agents
   * started before a server restart still get in after it.
   */
  get hookKey(): string {
    return path.join(this.home, "hook-key");
  }

  /**
   * Present while a failClosed `pre_tool_use` interceptor is registered: an agent's hook command that cannot reach the
   * server then blocks the tool instead of letting it run.
   */
  get hooksFailClosed(): string {
    return path.join(this.home, "runtime", "pre-tool-use-fail-closed");
  }

  /** Transpiled drop-ins (safe to delete). */
  get pluginCache(): string {
    return path.join(this.home, "cache", "plugins");
  }
}

/** `CAO_HOME` (default `~/.cao`). */
export function caoHomeFrom(env: Env): string {
  return new CaoPaths(env).home;
}

/** `CAO_PLUGINS_DIR` (default `$CAO_HOME/plugins`). */
export function pluginsDirFrom(env: Env): string {
  return new CaoPaths(env).plugins;
}
