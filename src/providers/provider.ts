/**
 * What CAO needs to know about one agent CLI. A provider is pure: it builds a launch command and reads screen
 * text; the terminal service owns tmux and timing. Every real CLI and the mock agent implement this.
 */
import type { TerminalStatus } from "../contract/vocabulary.js";
import type { HookDialect } from "./hook-dialect.js";
import type { NativeToolNames } from "./native-tool-names.js";

export { TERMINAL_STATUSES, type TerminalStatus } from "../contract/vocabulary.js";

/** An MCP server entry as agent CLIs take it (stdio). */
export interface McpServerConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

/** An agent profile: markdown with YAML front matter; the body is the system prompt. */
export interface AgentProfile {
  name: string;
  description: string;
  /** The markdown body. */
  systemPrompt: string;
  /** Preferred provider, used when a launch names none. */
  provider?: string;
  model?: string;
  /** Extra MCP servers from the profile; cao-mcp-server is always added by CAO. */
  mcpServers?: Record<string, McpServerConfig>;
  /** Front matter keys CAO does not interpret, kept for providers that do. */
  extra?: Record<string, unknown>;
}

/** Where and how an agent's own hooks report to CAO (docs/agent-hooks.md); absent when hooks are off. */
export interface HookEndpoint {
  /** The POST target, `http://<host>:<port>/terminals/<id>/agent-hooks`. */
  url: string;
  /** The header that carries the secret (`X-CAO-Hook-Token`). */
  tokenHeader: string;
  /** The variable in the agent's environment that holds its secret (set by CAO, never written to a file). */
  tokenVariable: string;
  /** cao-hook's absolute path, for CLIs whose hooks are commands: `cao-hook <event>` with the hook JSON on stdin. */
  command: string;
  /** A failClosed `pre_tool_use` interceptor is registered now: a hook that cannot reach CAO should block the tool. */
  failClosed: boolean;
  /** Seconds a CLI should wait for CAO's answer to a hook call. */
  timeoutSeconds: number;
}

export interface LaunchContext {
  terminalId: string;
  /** The CLI's absolute path, resolved by the same lookup that makes `GET /agents/providers` say it is installed. */
  binaryPath: string;
  /** Whether the server runs as root: some CLIs refuse their permission-bypass flag then (docs/providers.md). */
  asRoot: boolean;
  profile: AgentProfile;
  workingDirectory: string;
  caoHome: string;
  /** The user's home directory, where CLIs that only read agent definitions from there (kiro_cli, q_cli) look. */
  homeDir: string;
  /** How this CLI should start cao-mcp-server (command, args, env incl. CAO_TERMINAL_ID and the API address). */
  caoMcpServer: McpServerConfig;
  /** Set when the provider has a hookDialect and hooks are on: configure the CLI's hooks to report here. */
  hooks?: HookEndpoint;
  /**
   * The tools this launch asked for (`allowed_tools` on the routes, `cao launch --allowed-tools`, `["*"]` for
   * `--yolo`, or inherited from the caller by handoff/assign); it overrides the profile's `allowedTools` and `role`.
   * Undefined when the launch named none (docs/tool-restrictions.md).
   */
  requestedTools?: string[];
  /**
   * The tools this agent may use, resolved by CAO from `requestedTools`, the profile's `allowedTools` and `role`
   * (vocabulary names, `["*"]` when unrestricted; docs/tool-restrictions.md). The provider turns it into its CLI's
   * permission flags; absent, the developer role's list applies.
   */
  allowedTools?: string[];
}

/**
 * A file the provider needs written before launch (MCP config for claude, settings for gemini, agent definitions
 * for kiro/q). Files under $CAO_HOME/runtime/<terminal id>/ go with that directory; any other file is recorded
 * there and removed when the terminal is.
 */
export interface LaunchFile {
  path: string;
  content: string;
}

/**
 * A symbolic link under the terminal's runtime directory, for a per-launch view of a user's config directory (the
 * user's entries linked, the launch's own files beside them). Removed with that directory; its target never is.
 */
export interface LaunchLink {
  path: string;
  target: string;
}

export interface LaunchPlan {
  /** argv: the binary (its absolute path, `context.binaryPath`) and its arguments; the terminal service shell-quotes it. */
  argv: string[];
  files?: LaunchFile[];
  /** Written after `files`; each must lie under $CAO_HOME/runtime/<terminal id>/. */
  links?: LaunchLink[];
  /** Variables for this agent only (settings paths, per-launch switches); set in its tmux window, never typed. */
  env?: Record<string, string>;
}

export interface Provider {
  /** Provider id as used in the API: `claude_code`, `codex`, `kiro_cli`, `q_cli`, `gemini_cli`, `mock`. */
  readonly name: string;
  /** The executable looked up on PATH for `GET /agents/providers`. */
  readonly binary: string;
  /** Ships with CAO (the mock agent): always installed, its argv names its own interpreter and script. */
  readonly bundled?: boolean;
  buildLaunch(context: LaunchContext): LaunchPlan;
  /**
   * How this CLI's hooks speak, when buildLaunch configures them from `context.hooks` (docs/agent-hooks.md). Without
   * one, CAO sees the agent from its screen only.
   */
  readonly hookDialect?: HookDialect;
  /**
   * The CLI's own names for the vocabulary's tool categories, for the server's check of each tool call its hooks
   * report (docs/tool-restrictions.md). Absent: CAO cannot tell its tools apart and checks none.
   */
  readonly toolNames?: NativeToolNames;
  /**
   * Keys that answer a first-launch screen CAO may answer for the user (trust of the working directory it was told
   * to use, the confirmation of the permission mode it chose), or undefined when the screen shows none. Asked while
   * the agent starts, each time it shows `waiting_user_answer`; any other dialog is left to the user.
   */
  firstLaunchKeys?(screen: string): string[] | undefined;
  /** What answering those screens changes in the user's own CLI config (the CLI records the answer), said once in the log. */
  readonly firstLaunchNotice?: string;
  /** Status from the visible screen text (tmux capture-pane, ANSI already stripped). */
  getStatus(screen: string): TerminalStatus;
  /** The agent's last answer on screen, without prompt or UI chrome; throws when there is none to extract. */
  extractLastAnswer(screen: string): string;
  /** Text typed to leave the CLI (e.g. `/exit`), or tmux key names to send (e.g. ["C-d"]). */
  readonly exit: { text: string } | { keys: string[] };
  /** Enter presses after a bracketed paste: some TUIs need a second Enter to submit multi-line input. */
  readonly pasteEnterCount: number;
  /**
   * Milliseconds between a paste and its Enter (default none). TUIs that guard against pastes in terminals without
   * bracketed paste (Gemini CLI, Qwen Code) take an Enter that follows other input within ~40 ms as a newline.
   */
  readonly submitDelayMs?: number;
  /**
   * True while the screen's input still holds text that was pasted and "submitted": the CLI took the Enter as a
   * newline in the paste. After typing, the terminal service then presses Enter again (a few times at most).
   */
  unsubmittedInput?(screen: string): boolean;
  /**
   * A cheap test on the last bytes of the terminal log: true when the CLI's idle prompt is visible at the end.
   * Lets the inbox skip the capture-pane + getStatus round trip while an agent is obviously busy.
   */
  idleTail(tail: string): boolean;
  /** Milliseconds to wait for the first idle status after launch before declaring the start failed. */
  readonly startupTimeoutMs: number;
}
