/**
 * The mock agent's hooks, as Claude Code runs them (docs/agent-hooks.md): read from the `hooks` of its --settings
 * file, called with the same JSON, their answers obeyed the same way. So tests that need no real CLI still go through
 * the whole path: settings written at launch, the secret from the environment, the route, the interceptors.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";

interface HookSpec {
  type?: string;
  url?: string;
  command?: string;
  headers?: Record<string, string>;
  allowedEnvVars?: string[];
  timeout?: number;
  onFailure?: "continue" | "block";
}

interface MatcherGroup {
  matcher?: string;
  hooks?: HookSpec[];
}

/** What the hooks of one event decided, for a PreToolUse: block with a reason, run a changed input, or go on. */
export interface HookOutcome {
  blocked?: string;
  updatedInput?: Record<string, unknown>;
}

export class MockHooks {
  readonly sessionId = randomUUID();

  private constructor(
    private readonly groups: Record<string, MatcherGroup[]>,
    readonly transcriptPath: string,
    private readonly cwd: string,
  ) {}

  /** The hooks of `settingsFile` (none when it has no `hooks`); the transcript is kept beside it. */
  static fromSettings(settingsFile: string | undefined): MockHooks {
    let groups: Record<string, MatcherGroup[]> = {};
    if (settingsFile) {
      const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8")) as { hooks?: Record<string, MatcherGroup[]> };
      groups = settings.hooks ?? {};
    }
    const transcript = settingsFile ? settingsFile.replace(/\.json$/, "") + "-transcript.jsonl" : "";
    return new MockHooks(groups, transcript, process.cwd());
  }

  /** Appends an assistant message with its usage to the transcript, as Claude Code records each model answer. */
  recordAnswer(text: string, usage: { input_tokens: number; output_tokens: number }): void {
    if (!this.transcriptPath) return;
    const entry = {
      type: "assistant",
      message: { id: `msg_${randomUUID()}`, role: "assistant", content: text, usage },
    };
    fs.appendFileSync(this.transcriptPath, JSON.stringify(entry) + "\n");
  }

  async fire(event: string, fields: Record<string, unknown>, toolName?: string): Promise<HookOutcome> {
    const input = {
      session_id: this.sessionId,
      transcript_path: this.transcriptPath,
      cwd: this.cwd,
      permission_mode: "bypassPermissions",
      hook_event_name: event,
      ...fields,
    };
    const specs = (this.groups[event] ?? [])
      .filter((group) => matches(group.matcher, toolName))
      .flatMap((group) => group.hooks ?? []);
    const outcomes = await Promise.all(specs.map((spec) => run(spec, input)));
    // As in Claude Code: any block wins; a changed input is taken from the hooks that gave one.
    const blocked = outcomes.find((outcome) => outcome.blocked !== undefined);
    if (blocked) return blocked;
    return outcomes.find((outcome) => outcome.updatedInput !== undefined) ?? {};
  }
}

function matches(matcher: string | undefined, toolName: string | undefined): boolean {
  if (matcher === undefined || matcher === "" || matcher === "*" || toolName === undefined) return true;
  return new RegExp(`^(?:${matcher})$`).test(toolName);
}

async function run(spec: HookSpec, input: Record<string, unknown>): Promise<HookOutcome> {
  const timeoutMs = (spec.timeout ?? 60) * 1000;
  const failed = (why: string): HookOutcome =>
    spec.onFailure === "block" ? { blocked: `hook failed (${why}) and onFailure is block` } : {};
  try {
    if (spec.type === "http" && spec.url) {
      const response = await fetch(spec.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...interpolated(spec) },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) return failed(`HTTP ${response.status}`);
      return decisionOf(await response.text());
    }
    if (spec.type === "command" && spec.command) return await runCommand(spec.command, input, timeoutMs, failed);
    return {};
  } catch (error) {
    return failed((error as Error).message);
  }
}

/** Header values with `$VAR` / `${VAR}` replaced for the variables allowedEnvVars names (others become ""). */
function interpolated(spec: HookSpec): Record<string, string> {
  const allowed = new Set(spec.allowedEnvVars ?? []);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {}))
    out[name] = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, variable: string) =>
      allowed.has(variable) ? (process.env[variable] ?? "") : "",
    );
  return out;
}

function runCommand(
  command: string,
  input: Record<string, unknown>,
  timeoutMs: number,
  failed: (why: string) => HookOutcome,
): Promise<HookOutcome> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => resolve(failed(error.message)));
    child.on("close", (code) => {
      if (code === 2) resolve({ blocked: stderr.trim() || "blocked by a hook" });
      else if (code === 0) resolve(decisionOf(stdout));
      else resolve(failed(`exit ${code}`));
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** A PreToolUse answer in Claude Code's format. */
function decisionOf(text: string): HookOutcome {
  if (!text.trim()) return {};
  let answer: { hookSpecificOutput?: Record<string, unknown> };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return {};
  }
  const output = answer.hookSpecificOutput ?? {};
  if (output.permissionDecision === "deny")
    return { blocked: String(output.permissionDecisionReason ?? "denied by a hook") };
  const updated = output.updatedInput;
  if (typeof updated === "object" && updated !== null) return { updatedInput: updated as Record<string, unknown> };
  return {};
}
