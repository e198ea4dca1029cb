import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../../clients/database.js";
import { describeExit } from "../../clients/tmux-pane.js";
import { shellQuote, type TmuxClient } from "../../clients/tmux.js";
import type { ProfileStore } from "../../profiles/profiles.js";
import type { ProviderRegistry } from "../../providers/index.js";
import type {
  AgentProfile,
  HookEndpoint,
  McpServerConfig,
  Provider,
  TerminalStatus,
} from "../../providers/provider.js";
import { AGENT_HOOK_TOKEN_HEADER } from "../../contract/vocabulary.js";
import type { AgentHookLaunch } from "../agent-hooks/hook-launch.js";
import { DEFAULT_PROVIDER } from "../../util/env.js";
import { ConflictError, NotFoundError } from "../../util/errors.js";
import type { CaoPaths } from "../../util/paths.js";
import { ValidationError } from "../../util/validate.js";
import { AbandonedWindows } from "../abandoned-windows.js";
import { removeLaunchFiles, writeLaunchFiles } from "../launch-files.js";
import { CAO_MCP_SERVER } from "../../providers/tool-vocabulary.js";
import { loadCustomRoles } from "../tool-restrictions/custom-roles.js";
import { resolveToolAccess, type ToolAccess } from "../tool-restrictions/resolve-tools.js";
import { toolAccessLaunchFile } from "../tool-restrictions/tool-access-file.js";
import { admit, type OperationGate } from "../operation-gate.js";
import type { Panes } from "./panes.js";
import type { TerminalSignals } from "./signals.js";

export interface LauncherDeps {
  tmux: TmuxClient;
  db: CaoDatabase;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  gate: OperationGate;
  paths: CaoPaths;
  /** Where kiro_cli and q_cli agent definitions go (default: the user's home directory). */
  homeDir?: string;
  logger: Logger;
  /** How agents reach cao-mcp-server (command + args); the per-terminal env is added here. */
  mcpServer: McpServerConfig;
  apiHost: string;
  /** The port agents' cao-mcp-server connects to, read at each launch. */
  apiPort: () => number;
  /** The server's CAO_API_TOKEN, handed to each terminal's cao-mcp-server (launch files are 0600). */
  apiToken?: string;
  signals: TerminalSignals;
  panes: Panes;
  /** Set when agents' own hooks report to CAO (docs/agent-hooks.md); providers with a hook dialect configure them. */
  hooks?: AgentHookLaunch;
  /** The provider of a launch that names none and whose profile names none (CAO_DEFAULT_PROVIDER; kiro_cli). */
  defaultProvider?: string;
}

export interface CreateTerminal {
  sessionName: string;
  /** Default: the profile's `provider`, else the server's default provider (docs/orchestration.md#provider-choice). */
  provider?: string;
  agentProfile: string;
  workingDirectory?: string;
  /** The terminal whose handoff or assign creates this one. */
  callerId?: string;
  /**
   * The tools the launch asked for (`allowed_tools`, `["*"]` for yolo; LaunchContext.requestedTools); undefined when
   * it named none, and the profile's `allowedTools` or `role` decides (docs/tool-restrictions.md).
   */
  allowedTools?: string[];
  /** Create the tmux session too (first terminal of a new session). */
  newSession: boolean;
}

const POLL_MS = 100;
/** First-launch screens answered per launch at most (each answer is one key press; a loop must end). */
const MAX_FIRST_LAUNCH_ANSWERS = 6;

/**
 * Launching a terminal, all or nothing: checks, pre_create_terminal, the agent's window running its CLI, the record,
 * the pane log, and the wait for its first ready screen (answering the first-launch screens CAO may answer). A launch
 * that fails part way leaves nothing behind.
 */
export class Launcher {
  /** Terminals between their record and their agent's first ready screen: their create decides their fate. */
  private readonly starting = new Set<string>();
  /** Providers whose first-launch notice was logged (once per server). */
  private readonly noticed = new Set<string>();
  /** `session\0window` of the launches between choosing their window's name and recording it. */
  private readonly naming = new Set<string>();
  /** Windows whose creation or removal timed out; the reconciler removes them once tmux answers. */
  readonly abandoned = new AbandonedWindows();

  constructor(private readonly deps: LauncherDeps) {}

  isStarting(id: string): boolean {
    return this.starting.has(id);
  }

  /**
   * Checks a terminal's provider, profile, working directory and tools (400 for a bad one, or an unknown role),
   * before anything is created.
   */
  resolve(spec: {
    provider?: string | undefined;
    agentProfile: string;
    workingDirectory?: string | undefined;
    allowedTools?: string[] | undefined;
  }) {
    // The prompt an agent gets ends with the skill catalog (docs/skills.md); the provider choice reads the profile.
    const profile = this.deps.profiles.loadForLaunch(spec.agentProfile);
    const provider = this.chooseProvider(spec.provider, profile);
    this.binaryPath(provider);
    const toolAccess = resolveToolAccess({
      requested: spec.allowedTools,
      profile,
      customRoles: loadCustomRoles(this.deps.paths.settings),
    });
    return { provider, profile, toolAccess, workingDirectory: resolveWorkingDirectory(spec.workingDirectory) };
  }

  /** The provider asked for, else the profile's, else the server's default; an unknown one is a 400 saying where it came from. */
  private chooseProvider(asked: string | undefined, profile: AgentProfile): Provider {
    const { providers } = this.deps;
    const known = () => providers.names().join(", ");
    if (asked !== undefined) return providers.get(asked);
    if (profile.provider !== undefined) {
      if (!providers.has(profile.provider))
        throw new ValidationError(
          `agent profile ${profile.name} names provider ${JSON.stringify(profile.provider)}, which is unknown; known: ${known()}`,
        );
      return providers.get(profile.provider);
    }
    const fallback = this.deps.defaultProvider ?? DEFAULT_PROVIDER;
    if (!providers.has(fallback))
      throw new ValidationError(
        `no provider given and agent profile ${profile.name} names none; the default provider (CAO_DEFAULT_PROVIDER) ${JSON.stringify(fallback)} is unknown; known: ${known()}`,
      );
    return providers.get(fallback);
  }

  /** Launches a terminal and waits for its agent; returns its record and the status it was first ready with. */
  async launch(spec: CreateTerminal): Promise<{ record: TerminalRecord; status: TerminalStatus }> {
    const { gate } = this.deps;
    const { provider, profile, toolAccess, workingDirectory } = this.resolve(spec);
    let cwd = workingDirectory;
    if (gate.intercepts("pre_create_terminal")) {
      const op = await admit<"pre_create_terminal">(gate, {
        point: "pre_create_terminal",
        sessionId: spec.sessionName,
        provider: provider.name,
        agentProfile: profile.name,
        workingDirectory: cwd,
      });
      if (op.workingDirectory !== cwd) cwd = resolveWorkingDirectory(op.workingDirectory);
    }
    const { id, window } = this.newName(spec.sessionName, profile.name);
    try {
      return await this.start(spec, { provider, profile, toolAccess, cwd, id, window });
    } finally {
      this.naming.delete(`${spec.sessionName}\0${window}`);
    }
  }

  /**
   * A new terminal id whose window name, `<profile>-<first 4 characters of the id>`, no other terminal of the session
   * has or is about to get: tmux refuses a `session:name` target that two windows match ("can't find window"), so a
   * repeated name would break both terminals (100 terminals of one profile repeat one about 7% of the time).
   */
  private newName(session: string, profile: string): { id: string; window: string } {
    const taken = new Set(this.deps.db.terminalsOfSession(session).map((record) => record.window_name));
    for (;;) {
      const id = randomBytes(4).toString("hex");
      const window = `${profile}-${id.slice(0, 4)}`;
      if (taken.has(window) || this.naming.has(`${session}\0${window}`)) continue;
      this.naming.add(`${session}\0${window}`);
      return { id, window };
    }
  }

  private async start(
    spec: CreateTerminal,
    launch: {
      provider: Provider;
      profile: AgentProfile;
      toolAccess: ToolAccess;
      cwd: string;
      id: string;
      window: string;
    },
  ): Promise<{ record: TerminalRecord; status: TerminalStatus }> {
    const { tmux, db, paths } = this.deps;
    const { provider, profile, toolAccess, cwd, id, window } = launch;
    const hooks = this.hooksFor(id, provider);
    const plan = provider.buildLaunch({
      terminalId: id,
      binaryPath: this.binaryPath(provider),
      asRoot: process.getuid?.() === 0,
      profile,
      workingDirectory: cwd,
      caoHome: paths.home,
      homeDir: this.deps.homeDir ?? os.homedir(),
      caoMcpServer: this.mcpServerFor(id),
      ...(hooks ? { hooks: hooks.endpoint } : {}),
      ...(spec.allowedTools ? { requestedTools: [...spec.allowedTools] } : {}),
      allowedTools: toolAccess.allowed,
    });
    // Kept for the hook check of each tool call (services/tool-restrictions/check-tool-call.ts).
    const mcpServers = [CAO_MCP_SERVER, ...Object.keys(profile.mcpServers ?? {})];
    const files = [...(plan.files ?? []), toolAccessLaunchFile(paths.runtime(id), { ...toolAccess, mcpServers })];
    // The agent's own variables are set in its window; its command runs as the window's command (see NewWindow).
    const windowSpec = {
      session: spec.sessionName,
      window,
      cwd,
      env: { ...plan.env, ...hooks?.env, CAO_TERMINAL_ID: id },
      command: this.commandLine(plan.argv),
    };
    if (spec.newSession) {
      if (await tmux.hasSession(spec.sessionName))
        throw new ConflictError(`session ${spec.sessionName} already exists`);
      // Records left by a session of this name that vanished (its tmux server was killed) must not be adopted by
      // the new one: forget them first, with their events.
      if (db.terminalsOfSession(spec.sessionName).length > 0) await this.deps.signals.emit("vanished", {});
    } else if (!(await tmux.hasSession(spec.sessionName)))
      throw new NotFoundError(`session ${spec.sessionName} not found`);
    // The agent reads its files (settings, MCP configuration) as it starts.
    writeLaunchFiles(paths.runtime(id), files, plan.links ?? []);
    await (spec.newSession ? tmux.newSession(windowSpec) : tmux.newWindow(windowSpec)).catch((error: unknown) => {
      removeLaunchFiles(paths.runtime(id));
      throw this.abandoned.noteIfUnanswered(error, spec.sessionName, window);
    });
    const now = new Date().toISOString();
    const record: TerminalRecord = {
      id,
      session_name: spec.sessionName,
      window_name: window,
      provider: provider.name,
      agent_profile: profile.name,
      working_directory: cwd,
      created_at: now,
      last_active: now,
      caller_id: spec.callerId ?? null,
      allowed_tools: spec.allowedTools ? JSON.stringify(spec.allowedTools) : null,
    };
    this.starting.add(id);
    try {
      db.insertTerminal(record);
      fs.mkdirSync(paths.terminalLogs, { recursive: true });
      await tmux.pipeToFile(spec.sessionName, window, paths.terminalLog(id));
      const status = await this.waitForStart(record, provider);
      await this.deps.signals.emit("started", { id, status });
      return { record, status };
    } catch (error) {
      await this.discard(record, spec.newSession);
      throw error;
    } finally {
      this.starting.delete(id);
    }
  }

  /** The CLI's absolute path (400 when it is not on the server's PATH). */
  private binaryPath(provider: Provider): string {
    const found = this.deps.providers.binaryPath(provider.name);
    if (found === undefined)
      throw new ValidationError(`provider ${provider.name} needs \`${provider.binary}\` on PATH, and it is not there`);
    return found;
  }

  /**
   * The agent's command line. The agent gets the server's PATH (the tmux server's may be older or another's), so a
   * CLI that is a Node script finds `node` where the server does.
   */
  private commandLine(argv: string[]): string {
    const pathValue = this.deps.providers.agentPath();
    const unset = ciMarkers(this.deps.providers.env).flatMap((name) => ["-u", name]);
    return ["env", ...unset, ...(pathValue ? [`PATH=${pathValue}`] : []), ...argv].map(shellQuote).join(" ");
  }

  /** The hook endpoint of terminal `id` and the variables its agent needs for it; undefined when hooks are off. */
  private hooksFor(
    id: string,
    provider: Provider,
  ): { endpoint: HookEndpoint; env: Record<string, string> } | undefined {
    const hooks = this.deps.hooks;
    if (!hooks || !provider.hookDialect) return undefined;
    const host = this.deps.apiHost.includes(":") ? `[${this.deps.apiHost}]` : this.deps.apiHost;
    const endpoint: HookEndpoint = {
      url: `http://${host}:${this.deps.apiPort()}/terminals/${id}/agent-hooks`,
      tokenHeader: AGENT_HOOK_TOKEN_HEADER,
      tokenVariable: "CAO_HOOK_TOKEN",
      command: hooks.command,
      failClosed: hooks.failClosed(),
      timeoutSeconds: hooks.timeoutSeconds,
    };
    return {
      endpoint,
      // The secret reaches the agent only through its environment; cao-hook reads these three.
      env: {
        CAO_HOOK_TOKEN: hooks.tokens.tokenFor(id),
        CAO_HOOK_URL: endpoint.url,
        CAO_HOOK_FAIL_CLOSED: hooks.marker,
      },
    };
  }

  private mcpServerFor(id: string): McpServerConfig {
    const base = this.deps.mcpServer;
    return {
      command: base.command,
      args: [...(base.args ?? [])],
      env: {
        ...base.env,
        CAO_TERMINAL_ID: id,
        CAO_API_HOST: this.deps.apiHost,
        CAO_API_PORT: String(this.deps.apiPort()),
        ...(this.deps.apiToken !== undefined ? { CAO_API_TOKEN: this.deps.apiToken } : {}),
      },
    };
  }

  private async waitForStart(record: TerminalRecord, provider: Provider): Promise<TerminalStatus> {
    const deadline = Date.now() + provider.startupTimeoutMs;
    let status: TerminalStatus = "processing";
    let screen = "";
    let answered = 0;
    /** The last dialog screen seen, answered when the next poll shows it unchanged. */
    let answerable = "";
    while (Date.now() < deadline) {
      const probe = await this.deps.panes.probe(record);
      screen = probe.screen;
      if (probe.pane.dead)
        throw new Error(
          `${provider.name} exited while starting: ${describeExit(probe.pane)} (screen: ${lastLines(screen)})`,
        );
      status = provider.getStatus(screen);
      if (status === "idle" || status === "completed") return status;
      if (status === "waiting_user_answer") {
        const keys = answered < MAX_FIRST_LAUNCH_ANSWERS ? provider.firstLaunchKeys?.(screen) : undefined;
        if (keys === undefined) return status; // a dialog CAO does not answer: up, and waiting for the user
        // Answered only once it holds still for a poll: Claude Code may draw a dialog again right after its first
        // paint, its cursor back on "No, exit", and a key meant for the first drawing then picks the wrong answer.
        if (screen !== answerable) {
          answerable = screen;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          continue;
        }
        answerable = "";
        answered++;
        this.deps.logger.info(
          { terminal: record.id, keys },
          `terminal ${record.id}: answering ${provider.name}'s first-launch screen (${lastLines(screen, 2)})`,
        );
        if (provider.firstLaunchNotice && !this.noticed.has(provider.name)) {
          this.noticed.add(provider.name);
          this.deps.logger.info({ provider: provider.name }, provider.firstLaunchNotice);
        }
        await this.deps.tmux.sendKeys(record.session_name, record.window_name, keys);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(
      `${provider.name} did not become ready within ${provider.startupTimeoutMs} ms (status ${status}; screen: ${lastLines(screen)})`,
    );
  }

  /** Undoes a create that failed part way. Each step on its own: a storage fault (often the very reason the create
   * failed) must not leave the tmux session or window behind. */
  private async discard(record: TerminalRecord, wholeSession: boolean): Promise<void> {
    const { tmux, db, paths, logger } = this.deps;
    const steps: [string, () => unknown][] = [
      [
        "killing its tmux window",
        () =>
          wholeSession
            ? tmux.killSession(record.session_name)
            : tmux.killWindow(record.session_name, record.window_name),
      ],
      ["removing its record", () => db.deleteTerminal(record.id)],
      ["removing its launch files", () => removeLaunchFiles(paths.runtime(record.id))],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        if (what === "killing its tmux window")
          this.abandoned.noteIfUnanswered(error, record.session_name, record.window_name);
        logger.warn(
          { err: error, terminal: record.id },
          `cleaning up terminal ${record.id} that failed to start: ${what} failed`,
        );
      }
    }
  }
}

/**
 * The variables by which CLIs tell they run in CI (`CI`, `CONTINUOUS_INTEGRATION`, `CI_*`), present in the server's
 * environment. An agent under CAO is always an interactive TUI, but a CLI that sees them goes headless (Gemini CLI
 * exits 42 asking for a prompt on stdin): they are removed from the agent's environment, and only there.
 */
export function ciMarkers(env: Record<string, string | undefined>): string[] {
  return Object.keys(env).filter(
    (name) => name === "CI" || name === "CONTINUOUS_INTEGRATION" || name.startsWith("CI_"),
  );
}

function lastLines(screen: string, count = 5): string {
  return screen
    .trimEnd()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-count)
    .map((line) => line.trim())
    .join(" | ");
}

function resolveWorkingDirectory(dir: string | undefined): string {
  const resolved = path.resolve(dir ?? process.cwd());
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new ValidationError(`working_directory ${resolved} does not exist`);
  }
  if (!stat.isDirectory()) throw new ValidationError(`working_directory ${resolved} is not a directory`);
  return resolved;
}
