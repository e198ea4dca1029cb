#!/usr/bin/env node
/**
 * cao-mock-agent: a scripted agent CLI for running every CAO flow end to end without a model. It behaves like the
 * real TUIs where it matters to CAO: a prompt when idle, a spinner while busy, an answer, bracketed paste, `/exit`,
 * and a way to ask the user (`[[ask]]`) or fail (`[[error]]`). `/tool <name> <json>` calls an MCP tool (see tool-call.ts).
 */
import { parseArgs } from "node:util";
import {
  MOCK_ANSWER_MARK,
  MOCK_ASK,
  MOCK_BANNER,
  MOCK_CONTINUATION,
  MOCK_ERROR_MARK,
  MOCK_INPUT_CONTINUATION,
  MOCK_PROMPT,
  MOCK_SPINNER_FRAMES,
  MOCK_WORKING,
  mockAnswer,
  parseSwitches,
} from "./screen.js";
import { MockHooks } from "./hooks.js";
import { runShell } from "./shell-tool.js";
import { callTool } from "./tool-call.js";

const { values } = parseArgs({
  options: {
    profile: { type: "string", default: "mock" },
    "delay-ms": { type: "string" },
    "mcp-config": { type: "string" },
    settings: { type: "string" },
    // Taken as real CLIs take theirs; the scripted answers do not depend on it.
    "system-prompt-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  process.stdout.write(
    "usage: cao-mock-agent [--profile NAME] [--delay-ms N] [--mcp-config FILE] [--system-prompt-file FILE]\n" +
      "A scripted agent CLI for CAO tests. Type a message and press Enter; /exit quits.\n" +
      "Switches inside a message: [[delay=MS]] busy time, [[ask]] ask before answering, [[error]] fail.\n" +
      "/tool <name> <json-arguments> calls an MCP tool of the servers in --mcp-config.\n" +
      "/sh <command> runs a shell command as a Bash tool call, through the hooks of --settings (Claude Code's format).\n",
  );
  process.exit(0);
}

const profile = values.profile!;
const hooks = MockHooks.fromSettings(values.settings);
const defaultDelay = Number(values["delay-ms"] ?? process.env.CAO_MOCK_DELAY_MS ?? 400);
const out = (text: string) => process.stdout.write(text);

type Mode = "input" | "busy" | "asking";
let mode: Mode = "input";
let line = "";
let pasting = false;
let pending = ""; // an escape sequence split across chunks
let deferred = ""; // input received while busy or asking
let cancelBusy: (() => void) | undefined;
let answerAsk: ((yes: boolean) => void) | undefined;

function prompt(): void {
  mode = "input";
  line = "";
  out(`\r\n${MOCK_PROMPT}`);
  if (deferred) {
    const replay = deferred;
    deferred = "";
    setImmediate(() => onData(replay));
  }
}

async function busy(ms: number): Promise<boolean> {
  mode = "busy";
  let frame = 0;
  out(`\r\n${MOCK_SPINNER_FRAMES[0]} ${MOCK_WORKING}`);
  return new Promise((resolve) => {
    const spin = setInterval(() => {
      frame = (frame + 1) % MOCK_SPINNER_FRAMES.length;
      out(`\r\x1b[2K${MOCK_SPINNER_FRAMES[frame]} ${MOCK_WORKING}`);
    }, 80);
    const done = setTimeout(() => finish(true), ms);
    const finish = (completed: boolean) => {
      clearInterval(spin);
      clearTimeout(done);
      cancelBusy = undefined;
      out("\r\x1b[2K");
      resolve(completed);
    };
    cancelBusy = () => finish(false);
  });
}

function printAnswer(lines: string[]): void {
  out(MOCK_ANSWER_MARK + lines[0]);
  for (const more of lines.slice(1)) out(`\r\n${MOCK_CONTINUATION}${more}`);
}

async function handle(message: string): Promise<void> {
  const text = message.trim();
  if (text === "/exit" || text === "/quit") {
    out("\r\nbye\r\n");
    process.stdout.write("\x1b[?2004l", () => process.exit(0));
    return;
  }
  if (text === "") return prompt();
  // Busy from the moment a message is taken (as before hooks): what is typed meanwhile waits for the next prompt.
  mode = "busy";
  await hooks.fire("UserPromptSubmit", { prompt: message });
  const switches = parseSwitches(text);
  if (!(await busy(switches.delayMs ?? defaultDelay))) {
    out("^C interrupted");
    return prompt();
  }
  if (switches.ask) {
    mode = "asking";
    out(MOCK_ASK + " ");
    void hooks.fire("Notification", {
      message: "The mock agent asks to go on",
      notification_type: "permission_prompt",
    });
    const yes = await new Promise<boolean>((resolve) => (answerAsk = resolve));
    answerAsk = undefined;
    out(yes ? "y\r\n" : "n\r\n");
    if (!yes) {
      out(`${MOCK_ERROR_MARK}action denied by the user`);
      return prompt();
    }
  }
  if (switches.error) {
    out(`${MOCK_ERROR_MARK}simulated failure (the message asked for [[error]])`);
    return prompt();
  }
  let answer: string[];
  if (text.startsWith("/tool ")) answer = await callTool(text.slice("/tool ".length), values["mcp-config"]);
  else if (text.startsWith("/sh ")) answer = await runShell(text.slice("/sh ".length), hooks);
  else answer = mockAnswer(profile, text);
  printAnswer(answer);
  const last = answer.join("\n");
  hooks.recordAnswer(last, { input_tokens: message.length, output_tokens: last.length });
  await hooks.fire("Stop", { stop_hook_active: false, last_assistant_message: last });
  prompt();
}

function submit(): void {
  const message = line;
  line = "";
  void handle(message).catch((error: unknown) => {
    out(`${MOCK_ERROR_MARK}${error instanceof Error ? error.message : String(error)}`);
    prompt();
  });
}

function typed(char: string): void {
  line += char;
  out(char === "\n" ? `\r\n${MOCK_INPUT_CONTINUATION}` : char);
}

function onData(chunk: string): void {
  let data = pending + chunk;
  pending = "";
  while (data.length > 0) {
    if (data.startsWith("\x1b")) {
      if (data.startsWith("\x1b[200~")) {
        pasting = true;
        data = data.slice(6);
        continue;
      }
      if (data.startsWith("\x1b[201~")) {
        pasting = false;
        data = data.slice(6);
        continue;
      }
      if (data.length < 6 && ("\x1b[200~".startsWith(data) || "\x1b[201~".startsWith(data))) {
        pending = data; // wait for the rest of a split paste marker
        return;
      }
      data = data.slice(1); // other escape sequences (arrows…) are ignored
      continue;
    }
    const char = data[0]!;
    data = data.slice(1);
    if (mode === "asking") {
      if (char === "y" || char === "Y" || char === "n" || char === "N") answerAsk?.(char.toLowerCase() === "y");
      continue;
    }
    if (char === "\x03") {
      if (mode === "busy") cancelBusy?.();
      else {
        out("^C");
        prompt();
      }
      continue;
    }
    if (mode !== "input") {
      // Type-ahead, as real CLIs keep it: replayed once the prompt is back.
      deferred += char + data;
      return;
    }
    if (pasting) {
      typed(char === "\r" ? "\n" : char);
    } else if (char === "\r" || char === "\n") {
      submit();
    } else if (char === "\x7f" || char === "\b") {
      if (line.length > 0) {
        line = line.slice(0, -1);
        out("\b \b");
      }
    } else if (char === "\x04") {
      if (line === "") void handle("/exit");
    } else if (char >= " " || char === "\t") {
      typed(char);
    }
  }
}

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.setEncoding("utf8");
process.stdin.on("data", onData);
process.stdin.on("end", () => process.exit(0));
out(`\x1b[?2004h${MOCK_BANNER} (profile: ${profile}) — type a message, /exit to quit`);
prompt();
