import path from "node:path";
import {
  MOCK_ANSWER_MARK,
  MOCK_ASK,
  MOCK_CONTINUATION,
  MOCK_ERROR_MARK,
  MOCK_PROMPT,
  MOCK_SPINNER_FRAMES,
  MOCK_WORKING,
} from "../mock-agent/screen.js";
import { packagePath } from "../util/package-root.js";
import { claudeDialect, claudeHttpHooks } from "./hook-dialects/claude.js";
import type { LaunchContext, LaunchPlan, Provider, TerminalStatus } from "./provider.js";
import { lastIndexMatching, mcpServersFor, screenLines, stripAnsi } from "./screen-text.js";
import { CLAUDE_TOOL_NAMES } from "./native-tool-names.js";

/** dist/mock-agent/main.js of this package (the bin cao-mock-agent): the agent always runs compiled. */
export function mockAgentScript(): string {
  return packagePath("dist", "mock-agent", "main.js");
}

const PROMPT_LINE = MOCK_PROMPT.trimEnd();
const SPINNER = new RegExp(`^[${MOCK_SPINNER_FRAMES.join("")}] ${MOCK_WORKING}`);

/** A submitted input line: the prompt followed by text. */
const INPUT_LINE = new RegExp(`^${MOCK_PROMPT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.`);

export const mockProvider: Provider = {
  name: "mock",
  binary: "cao-mock-agent",
  bundled: true,
  hookDialect: claudeDialect,
  // The mock agent's tools are named as Claude Code's (its /sh runs as Bash).
  toolNames: CLAUDE_TOOL_NAMES,
  buildLaunch(context: LaunchContext): LaunchPlan {
    const runtime = path.join(context.caoHome, "runtime", context.terminalId);
    const configFile = path.join(runtime, "mcp.json");
    const mcpServers = mcpServersFor(context);
    const argv = [process.execPath, mockAgentScript(), "--profile", context.profile.name, "--mcp-config", configFile];
    const files = [{ path: configFile, content: JSON.stringify({ mcpServers }, null, 2) }];
    if (context.profile.systemPrompt) {
      // As Claude Code gets its system prompt: the profile's body plus what CAO appends (the skill catalog).
      const promptFile = path.join(runtime, "system-prompt.md");
      argv.push("--system-prompt-file", promptFile);
      files.push({ path: promptFile, content: context.profile.systemPrompt });
    }
    if (context.hooks) {
      // The same hooks as Claude Code's, in the same settings format (the mock agent runs them the same way).
      const settings = path.join(runtime, "mock-settings.json");
      argv.push("--settings", settings);
      files.push({ path: settings, content: JSON.stringify({ hooks: claudeHttpHooks(context.hooks) }, null, 2) });
    }
    return { argv, files };
  },
  getStatus(screen: string): TerminalStatus {
    const all = screenLines(screen);
    const last = all[all.length - 1] ?? "";
    if (SPINNER.test(last)) return "processing";
    if (last.startsWith(MOCK_ASK)) return "waiting_user_answer";
    if (last !== PROMPT_LINE) return "processing"; // typing, or output still streaming
    const input = lastIndexMatching(all, INPUT_LINE, all.length - 1);
    if (input < 0) return "idle";
    const after = all.slice(input + 1, all.length - 1);
    if (after.some((l) => l.startsWith(MOCK_ERROR_MARK))) return "error";
    if (after.some((l) => l.startsWith(MOCK_ANSWER_MARK))) return "completed";
    return "idle";
  },
  extractLastAnswer(screen: string): string {
    const all = screenLines(screen);
    for (let end = all.length; end > 0;) {
      const input = lastIndexMatching(all, INPUT_LINE, end);
      if (input < 0) break;
      const start = all.findIndex((l, i) => i > input && i < end && l.startsWith(MOCK_ANSWER_MARK));
      if (start >= 0) {
        const answer = [all[start]!.slice(MOCK_ANSWER_MARK.length)];
        for (let i = start + 1; i < end && all[i]!.startsWith(MOCK_CONTINUATION); i++)
          answer.push(all[i]!.slice(MOCK_CONTINUATION.length));
        return answer.join("\n");
      }
      end = input;
    }
    throw new Error("no answer from the mock agent on screen");
  },
  exit: { text: "/exit" },
  pasteEnterCount: 1,
  idleTail(tail: string): boolean {
    // The log holds raw output: the prompt is the last thing printed when the agent waits for input.
    return stripAnsi(tail).trimEnd().endsWith(PROMPT_LINE);
  },
  startupTimeoutMs: 15_000,
};

/**
 * The Python CAO's name for its credential-free test provider (`mock_cli`): scripts and CI jobs written for the
 * Python CAO run here unchanged, against the same mock agent (docs/compatibility.md).
 */
export const mockCliProvider: Provider = { ...mockProvider, name: "mock_cli" };
