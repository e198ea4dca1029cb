/**
 * The model double's script: what to answer to which prompt. A script is a list of rules; the first rule whose
 * `when` matches the conversation's latest prompt answers it. A rule's `steps` are its answers in order: the
 * first answers the prompt itself, the next one answers after the first tool result came back, and so on — so the
 * step is chosen by how many tool results followed the prompt, never by how many requests arrived (agent CLIs send
 * side requests for titles, routing and memory that must not move a script on). See docs/model-double.md.
 */

/** Token usage reported with an answer; defaults to a rough count of the characters in and out. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

interface StepTiming {
  /** Held before the first byte of the answer (default: the double's `delayMs`). */
  delayMs?: number;
  /** A text answer is streamed in this many pieces… */
  chunks?: number;
  /** …with this pause between them, so a TUI shows its busy screen for a while. */
  chunkDelayMs?: number;
  usage?: Usage;
}

/** Answer with text. */
export interface TextStep extends StepTiming {
  text: string;
}

/** Call the shell tool the CLI offers (Bash, exec_command, run_shell_command, bash, …) with this command. */
export interface ShellStep extends StepTiming {
  shell: string;
}

/**
 * Call a tool by name. An exact offered name wins; otherwise the offered tool whose name ends in it after a
 * separator (`handoff` finds `mcp__cao-mcp-server__handoff`, `mcp_cao-mcp-server_handoff`, `cao-mcp-server_handoff`,
 * `cao-mcp-server-handoff`). A tool that is not offered (deferred behind a tool search) is called by `name` as given.
 */
export interface ToolStep extends StepTiming {
  tool: string;
  input: Record<string, unknown>;
  /**
   * The MCP server the tool belongs to: when the tool is neither offered nor named in the request (a CLI still
   * connecting its MCP servers, or one that defers them silently), it is called as `mcp__<server>__<tool>`.
   */
  server?: string;
}

/** Fail the request with the protocol's own error body and this HTTP status (400, 429, 500, 529 …). */
export interface ErrorStep {
  error: { status: number; message?: string };
  delayMs?: number;
}

export type Step = TextStep | ShellStep | ToolStep | ErrorStep;

/** A prompt matcher: a substring, a regular expression, or (in JSON scripts) `{regex: "…", flags?: "…"}`. */
export type PromptMatcher = string | RegExp | { regex: string; flags?: string };

export interface Rule {
  when: PromptMatcher;
  steps: Step[];
  /** After the last step: repeat it (default for text), or answer with the default answer. */
  afterLast?: "repeat" | "default";
}

export interface Script {
  rules: Rule[];
  /** Answer to prompts no rule matches (default: a short text naming the prompt). */
  fallback?: (prompt: string) => Step;
}

export function matches(matcher: PromptMatcher, prompt: string): boolean {
  if (typeof matcher === "string") return prompt.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(prompt);
  return new RegExp(matcher.regex, matcher.flags).test(prompt);
}

export const DEFAULT_ANSWER_PREFIX = "Model double answer:";

export function defaultAnswer(prompt: string): TextStep {
  const gist = prompt.replace(/\s+/g, " ").trim().slice(0, 60);
  return { text: `${DEFAULT_ANSWER_PREFIX} ${gist || "(empty prompt)"}` };
}

/** The step that answers a conversation whose latest prompt is `prompt`, followed so far by `toolResults` tool results. */
export function chooseStep(script: Script, prompt: string, toolResults: number): { step: Step; rule: number } {
  const fallback = (): Step => (script.fallback ?? defaultAnswer)(prompt);
  const index = script.rules.findIndex((rule) => matches(rule.when, prompt));
  if (index < 0) return { step: fallback(), rule: -1 };
  const rule = script.rules[index]!;
  if (toolResults < rule.steps.length) return { step: rule.steps[toolResults]!, rule: index };
  const last = rule.steps[rule.steps.length - 1];
  // Repeating a tool call after its result would loop the agent forever: past the end, only text repeats.
  if (rule.afterLast !== "default" && last && "text" in last) return { step: last, rule: index };
  return { step: fallback(), rule: index };
}

/** Checks a script that arrived as JSON (PUT /_double/script, --script FILE); throws naming what is wrong. */
export function parseScript(value: unknown): Script {
  const fail = (what: string): never => {
    throw new Error(`invalid model-double script: ${what}`);
  };
  if (typeof value !== "object" || value === null || !Array.isArray((value as { rules?: unknown }).rules))
    fail('expected {"rules": [...]}');
  const rules = (value as { rules: unknown[] }).rules.map((raw, i): Rule => {
    const rule = raw as Partial<Rule>;
    if (typeof rule !== "object" || rule === null) fail(`rules[${i}] is not an object`);
    const when = rule.when;
    const okWhen =
      typeof when === "string" ||
      (typeof when === "object" && when !== null && typeof (when as { regex?: unknown }).regex === "string");
    if (!okWhen) fail(`rules[${i}].when must be a string or {"regex": "..."}`);
    if (!Array.isArray(rule.steps) || rule.steps.length === 0) fail(`rules[${i}].steps must be a non-empty array`);
    rule.steps!.forEach((step, j) => {
      const kinds = ["text", "shell", "tool", "error"].filter(
        (k) => typeof step === "object" && step !== null && k in step,
      );
      if (kinds.length !== 1) fail(`rules[${i}].steps[${j}] needs exactly one of text, shell, tool, error`);
      if ("tool" in step && (typeof step.input !== "object" || step.input === null))
        fail(`rules[${i}].steps[${j}].input must be an object`);
      if ("error" in step && typeof step.error?.status !== "number")
        fail(`rules[${i}].steps[${j}].error.status must be a number`);
    });
    if (rule.afterLast !== undefined && rule.afterLast !== "repeat" && rule.afterLast !== "default")
      fail(`rules[${i}].afterLast must be "repeat" or "default"`);
    return {
      when: when as PromptMatcher,
      steps: rule.steps as Step[],
      ...(rule.afterLast ? { afterLast: rule.afterLast } : {}),
    };
  });
  return { rules };
}
