#!/usr/bin/env node
/**
 * cao-model-double: the scripted model API as a command, so a plugin author can rehearse a multi-agent workflow
 * against the real agent CLIs without a model or a key. See docs/model-double.md for the script format.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { parseScript } from "./script.js";
import { ModelDouble } from "./server.js";

const USAGE = `usage: cao-model-double [--port N] [--script FILE.json] [--delay-ms N] [--quiet]

A scripted model API on 127.0.0.1 speaking Anthropic Messages, OpenAI Responses, OpenAI Chat
Completions and Gemini. Point an agent CLI at it as you would at a proxy (the lines it prints say how).
A script is {"rules": [{"when": "text in the prompt", "steps": [{"shell": "ls"}, {"text": "done"}]}]};
steps may be {"text"}, {"shell"}, {"tool", "input"} or {"error": {"status"}}. Replace it while running
with PUT /_double/script; GET /_double/requests lists what the CLIs sent.
`;

function main(): Promise<void> | void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "0" },
        script: { type: "string" },
        "delay-ms": { type: "string", default: "0" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  const delayMs = Number(values["delay-ms"]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usageError(`--port must be a port number, not ${values.port}`);
  if (!Number.isInteger(delayMs) || delayMs < 0)
    return usageError(`--delay-ms must be a whole number of milliseconds, not ${values["delay-ms"]}`);
  let script;
  if (values.script) {
    try {
      script = parseScript(JSON.parse(fs.readFileSync(values.script, "utf8")));
    } catch (error) {
      process.stderr.write(`cao-model-double: ${values.script}: ${(error as Error).message}\n`);
      process.exit(1);
    }
  }
  return serve(port, delayMs, script, values.quiet === true);
}

async function serve(
  port: number,
  delayMs: number,
  script: ReturnType<typeof parseScript> | undefined,
  quiet: boolean,
): Promise<void> {
  const double = await ModelDouble.start({
    port,
    delayMs,
    ...(script ? { script } : {}),
    ...(quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }),
  });
  const url = double.url;
  process.stdout.write(
    [
      `model double listening on ${url}`,
      `  Claude Code:  ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=sk-double`,
      `  Gemini CLI:   GOOGLE_GEMINI_BASE_URL=${url} GEMINI_API_KEY=sk-double`,
      `  Qwen Code:    OPENAI_BASE_URL=${url}/v1 OPENAI_API_KEY=sk-double OPENAI_MODEL=fake-model`,
      `  Copilot:      COPILOT_OFFLINE=true COPILOT_PROVIDER_BASE_URL=${url}/v1 COPILOT_PROVIDER_API_KEY=sk-double COPILOT_MODEL=fake-model`,
      `  Codex, opencode: a provider with base_url ${url}/v1 in their config (see docs/model-double.md)`,
      "",
    ].join("\n"),
  );
  const stop = (): void => {
    void double.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function usageError(message: string): void {
  process.stderr.write(`cao-model-double: ${message}\n${USAGE}`);
  process.exit(2);
}

void main();
