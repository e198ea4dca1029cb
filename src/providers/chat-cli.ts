import path from "node:path";
import type { LaunchContext, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import { dedent, lastIndexMatching, mcpServersFor, screenLines, tailLooksIdle } from "./screen-text.js";
import { allowedToolsOf } from "./native-tool-names.js";
import { ALL_TOOLS } from "./tool-vocabulary.js";

/*
 * Amazon Q CLI and Kiro CLI (run with --legacy-ui) share one line-oriented chat screen: the prompt
 * `[agent] > ` (optionally `[agent] 45% > `, `λ` or `!>`), the user's message on that prompt line, answers as
 * lines starting with the `> ` arrow, tool use as "🛠️  Using tool: …" with `⋮`/`●` detail lines, a braille spinner
 * "⠹ Thinking..." while busy, and "Allow this action? … [y/n/t]:" when a tool needs approval (some versions put the
 * next prompt on that same line). Kiro's newer TUI, should it appear anyway, is read too: its placeholder "Ask a
 * question or describe a task", "Kiro is working", a turn ending in "▸ Credits: …", and its selection menus.
 */
const PROMPT = /^\[[^\]\s]+\]\s*(?:\d+%\s*)?(?:λ\s*)?!?>(?:\s|$)/;
const USER_MESSAGE = /^\[[^\]\s]+\]\s*(?:\d+%\s*)?(?:λ\s*)?!?>\s+\S/;
const ANSWER = /^>\s?/;
const TOOL = /^🛠️|^\s*[⋮●]|^\s*↳/;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s*Thinking|Kiro is working|Thinking\.\.\./;
const APPROVAL = /\[y\/n\/t\]:/;
const ERROR = /is having trouble responding|^\s*(?:error|Error):/;
const TUI_IDLE = /[Aa]sk a question,? or describe a task/;
const TUI_MENU = /↑↓ to navigate\s*·\s*↵ to select/;
const TUI_CREDITS = /^\s*▸\s*Credits:\s*[\d.]+/;
const TUI_RULE = /^─{20,}$/;

/**
 * Kiro's newer TUI marks neither the message nor the answer: between a rule and the "▸ Credits: … • Time: …" line
 * that ends a turn, the first paragraph is the message as sent, the rest is the answer.
 */
function tuiAnswer(lines: string[], name: string): string {
  const credits = lastIndexMatching(lines, TUI_CREDITS);
  const rule = lastIndexMatching(lines, TUI_RULE, credits);
  const turn = lines.slice(rule + 1, credits);
  const firstBlank = turn.findIndex((line, i) => i > 0 && line.trim() === "" && turn[i - 1]!.trim() !== "");
  if (credits < 0 || firstBlank < 0) throw new Error(`no ${name} answer on screen after the last message`);
  const answer = dedent(turn.slice(firstBlank));
  if (!answer) throw new Error(`no ${name} answer on screen after the last message`);
  return answer;
}

export interface ChatCliOptions {
  name: "q_cli" | "kiro_cli";
  binary: string;
  /** argv after the binary, before `--agent <name>`. */
  chatArgs: string[];
  /** Where the CLI looks for agent definitions, relative to the home directory. */
  agentsDir: string;
  exitCommand: string;
}

/** Each terminal gets its own agent definition, named after the profile and the terminal. */
export function chatAgentName(context: Pick<LaunchContext, "profile" | "terminalId">): string {
  return `cao-${context.profile.name}-${context.terminalId}`;
}

export function chatCliProvider(options: ChatCliOptions): Provider {
  return {
    name: options.name,
    binary: options.binary,
    buildLaunch(context: LaunchContext): LaunchPlan {
      const agent = chatAgentName(context);
      const allowed = allowedToolsOf(context);
      const unrestricted = allowed.includes(ALL_TOOLS);
      const file = path.join(context.homeDir, options.agentsDir, `${agent}.json`);
      const definition = {
        name: agent,
        description: context.profile.description,
        prompt: context.profile.systemPrompt.trim(),
        mcpServers: mcpServersFor(context),
        tools: ["*"],
        // Kiro and Q take CAO's vocabulary as it is (the Python CAO writes the list unchanged): the tools listed run
        // without asking, any other asks. Only an unrestricted agent trusts every tool.
        allowedTools: unrestricted ? ["@cao-mcp-server"] : [...allowed],
        ...(context.profile.model ? { model: context.profile.model } : {}),
      };
      return {
        argv: [
          context.binaryPath,
          ...options.chatArgs,
          "--agent",
          agent,
          ...(unrestricted ? ["--trust-all-tools"] : []),
        ],
        // Outside $CAO_HOME/runtime: the terminal service records it and removes it with the terminal.
        files: [{ path: file, content: JSON.stringify(definition, null, 2) }],
      };
    },
    getStatus(screenText: string): TerminalStatus {
      const lines = screenLines(screenText);
      const lastLine = lines[lines.length - 1] ?? "";
      const tail = lines.slice(-4).join("\n");
      // The question is the last thing on screen (the prompt may follow on the same line); once answered, the
      // tool's output moves it up.
      const approval = lastIndexMatching(lines, APPROVAL);
      if (approval >= 0 && approval >= lines.length - 3) return "waiting_user_answer";
      if (lines.slice(-3).some((line) => TUI_MENU.test(line))) return "waiting_user_answer"; // e.g. the trust-all-tools consent
      if (SPINNER.test(tail)) return "processing";
      if (TUI_IDLE.test(tail)) return lastIndexMatching(lines, TUI_CREDITS) >= 0 ? "completed" : "idle";
      if (!PROMPT.test(lastLine) || USER_MESSAGE.test(lastLine)) return "processing";
      // Some versions do not echo the message on the prompt line; then the whole screen is the last turn.
      const user = lastIndexMatching(lines, USER_MESSAGE, lines.length - 1);
      const after = lines.slice(user + 1, lines.length - 1);
      if (after.some((line) => ERROR.test(line)) && !after.some((line) => ANSWER.test(line))) return "error";
      return after.some((line) => ANSWER.test(line)) ? "completed" : "idle";
    },
    extractLastAnswer(screenText: string): string {
      const lines = screenLines(screenText);
      const promptLine = lastIndexMatching(lines, PROMPT);
      if (promptLine < 0 && TUI_IDLE.test(lines.slice(-4).join("\n"))) return tuiAnswer(lines, options.name);
      const user = lastIndexMatching(lines, USER_MESSAGE, promptLine);
      const start = lastIndexMatching(lines, ANSWER, promptLine);
      if (promptLine < 0 || start < 0 || start <= user)
        throw new Error(`no ${options.name} answer on screen after the last message`);
      const block: string[] = [];
      for (let i = start; i < promptLine && !TOOL.test(lines[i]!); i++) block.push(lines[i]!);
      block[0] = block[0]!.replace(ANSWER, "");
      return dedent(block);
    },
    exit: { text: options.exitCommand },
    pasteEnterCount: 1,
    idleTail(tail: string): boolean {
      return tailLooksIdle(tail, /Thinking|Kiro is working/, /\]\s*(?:\d+%\s*)?(?:λ\s*)?!?>\s*$|[Aa]sk a question/);
    },
    startupTimeoutMs: 60_000,
  };
}

export const qCliProvider = chatCliProvider({
  name: "q_cli",
  binary: "q",
  chatArgs: ["chat"],
  agentsDir: path.join(".aws", "amazonq", "cli-agents"),
  exitCommand: "/quit",
});

export const kiroCliProvider = chatCliProvider({
  name: "kiro_cli",
  binary: "kiro-cli",
  chatArgs: ["chat", "--legacy-ui"],
  agentsDir: path.join(".kiro", "agents"),
  exitCommand: "/quit",
});
