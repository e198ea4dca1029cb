/**
 * tool-policy: what an agent may do inside its CLI — shell commands it may not run, files it may not write, and tools
 * an agent profile may not use. An interceptor of pre_tool_use, which the agent CLI's own hooks call before every
 * tool call: a denied tool never runs, and the agent is told which rule refused it.
 *
 *   plugins:
 *     tool-policy:
 *       config:
 *         shell: { deny: ["rm -rf", "git push --force", "/curl .*\\| *sh/"] }   # substrings, or /regex/ (flags i m s u)
 *         writes: { insideWorkingDirectory: true }      # no file writes outside the terminal's working directory
 *         profiles:                                      # per agent profile: allow = only these; deny = never these
 *           reviewer: { allow: [Read, Grep, Glob] }
 *           developer: { deny: [WebFetch, "mcp__github__*"] }
 *
 * shell.deny applies to the shell tools (Claude Code and Codex `Bash`, Gemini CLI and Qwen Code `run_shell_command`,
 * Copilot and opencode `bash`, and the tools that type into a running shell). A substring rule matches with runs of
 * whitespace counted as one space (`rm  -rf` is caught by "rm -rf"); it is case-sensitive. A rule written `/…/`, or
 * `/…/` and flags, is a regular expression matched against the command as given; any other rule is a substring
 * (`/etc/shadow` too). These rules read the command text only: a determined agent can spell a command another way,
 * so use a profile allow-list where a shell must not be used at all.
 *
 * writes.insideWorkingDirectory applies to the file-writing tools: Claude Code `Write`, `Edit`, `MultiEdit`,
 * `NotebookEdit`; Gemini CLI `write_file`, `replace`; Qwen Code `write_file`, `edit`, `notebook_edit`; Codex, opencode
 * and Copilot `apply_patch` (every file its patch names); opencode `write`, `edit`, `multiedit`, `patch`; Copilot
 * `create`, `edit`, `str_replace_editor`; and a shell command that carries an apply_patch patch. A relative path is
 * taken from the working directory, `~` from HOME; `..` and symbolic links (dangling ones too) are followed to where
 * the write would really land. A write tool whose target cannot be told is refused. Shell commands are not parsed
 * for the files they write.
 *
 * profiles: lists of tool names as the CLI names them (`Read`, `read_file`, `mcp__cao-mcp-server__send_message`), a
 * `*` pattern (`mcp__github__*`), or a CLI-neutral class: `shell`, `write`, `read` (the file reading and searching
 * tools) or `mcp` (MCP tools: `mcp__…`, `mcp_…`, and CAO's own `cao-mcp-server…` in every CLI's spelling; Copilot and
 * opencode name other servers' tools `<server>-<tool>` and `<server>_<tool>`, which a `*` pattern matches). Deny wins
 * over allow. An allow-list without `mcp` also keeps that profile from CAO's own tools (send_message, handoff, …).
 *
 * The working directory is asked of the server (GET /terminals/:id/working-directory, once per terminal) at the
 * address clients use: CAO_API_HOST and CAO_API_PORT (default 127.0.0.1:9889), with CAO_API_TOKEN when it is set. A
 * server started with `--port` should be given CAO_API_PORT instead, or the plugin cannot reach it.
 *
 * Declared failClosed: if the policy itself fails (the working directory cannot be learned, a path cannot be
 * resolved), the tool is refused rather than let through; an agent whose hook cannot reach the server is refused its
 * tools too. To fail open instead, set failClosed: false in your copy. No config: every tool is allowed.
 * Install: copy this file into ~/.cao/plugins/.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CaoPlugin,
  deny,
  hook,
  intercept,
  type PluginContext,
  type PreToolUse,
  type StandardSchemaV1,
  type TerminalKilledEvent,
} from "cli-agent-orchestrator/plugins";

interface Lists {
  allow?: string[];
  deny?: string[];
}

interface ToolPolicySettings {
  shell: { deny: string[] };
  writes: { insideWorkingDirectory: boolean };
  profiles: Record<string, Lists>;
}

const SETTINGS = ["shell", "writes", "profiles"] as const;
const CLASSES = ["shell", "write", "read", "mcp"] as const;
type ToolClass = (typeof CLASSES)[number];

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `/source/flags` → a RegExp; undefined for a substring rule; throws with the reason for a broken expression. */
function regexOf(rule: string): RegExp | undefined {
  const match = /^\/(.+)\/([a-z]*)$/s.exec(rule);
  if (!match || !/^[dgimsuvy]*$/.test(match[2]!)) return undefined;
  const flags = match[2]!;
  if (/[gy]/.test(flags)) throw new Error(`${rule}: flags g and y are not supported (use i, m, s, u)`);
  return new RegExp(match[1]!, flags);
}

/** A hand-written Standard Schema: this file is copied alone into ~/.cao/plugins, where no schema library resolves. */
const Settings: StandardSchemaV1<unknown, ToolPolicySettings> = {
  "~standard": {
    version: 1,
    vendor: "cao-tool-policy",
    validate(value) {
      const out: ToolPolicySettings = {
        shell: { deny: [] },
        writes: { insideWorkingDirectory: false },
        profiles: Object.create(null), // a profile named __proto__ is a profile, not a prototype
      };
      if (value === undefined || value === null) return { value: out };
      if (!isMapping(value)) return { issues: [{ message: `expected a mapping with ${SETTINGS.join(", ")}` }] };
      const issues: StandardSchemaV1.Issue[] = [];
      for (const [key, setting] of Object.entries(value)) {
        if (key === "shell") {
          if (!isMapping(setting)) {
            issues.push({ message: "expected a mapping with deny", path: [key] });
            continue;
          }
          for (const [which, list] of Object.entries(setting)) {
            if (which !== "deny") issues.push({ message: "unknown setting (known: deny)", path: [key, which] });
            else if (!Array.isArray(list) || !list.every((rule) => typeof rule === "string" && rule.trim() !== ""))
              issues.push({ message: "expected a list of substrings or /regular expressions/", path: [key, which] });
            else {
              list.forEach((rule: string, index: number) => {
                try {
                  regexOf(rule);
                } catch (error) {
                  issues.push({ message: (error as Error).message, path: [key, which, index] });
                }
              });
              out.shell.deny = list;
            }
          }
        } else if (key === "writes") {
          if (!isMapping(setting)) {
            issues.push({ message: "expected a mapping with insideWorkingDirectory", path: [key] });
            continue;
          }
          for (const [which, flag] of Object.entries(setting)) {
            if (which !== "insideWorkingDirectory")
              issues.push({ message: "unknown setting (known: insideWorkingDirectory)", path: [key, which] });
            else if (typeof flag !== "boolean") issues.push({ message: "expected true or false", path: [key, which] });
            else out.writes.insideWorkingDirectory = flag;
          }
        } else if (key === "profiles") {
          if (!isMapping(setting)) {
            issues.push({ message: "expected a mapping of agent profile names to allow and/or deny", path: [key] });
            continue;
          }
          for (const [profile, lists] of Object.entries(setting)) {
            if (!isMapping(lists)) {
              issues.push({ message: "expected a mapping with allow and/or deny", path: [key, profile] });
              continue;
            }
            const checked: Lists = {};
            for (const [which, list] of Object.entries(lists)) {
              if (which !== "allow" && which !== "deny")
                issues.push({ message: "expected allow or deny", path: [key, profile, which] });
              else if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && item.trim() !== ""))
                issues.push({
                  message: `expected a list of tool names, * patterns or classes (${CLASSES.join(", ")})`,
                  path: [key, profile, which],
                });
              else checked[which] = list;
            }
            out.profiles[profile] = checked;
          }
        } else issues.push({ message: `unknown setting (known: ${SETTINGS.join(", ")})`, path: [key] });
      }
      return issues.length > 0 ? { issues } : { value: out };
    },
  },
};

/** Each CLI's tools by class, as their hooks name them (see the header for which CLI says which). */
// prettier-ignore
const TOOL_CLASSES: Record<Exclude<ToolClass, "mcp">, ReadonlySet<string>> = {
  shell: new Set([
    "Bash", "PowerShell", // Claude Code, and Codex (its hooks report exec_command as Bash)
    "exec_command", "shell", "local_shell", "write_stdin", // Codex's own names
    "run_shell_command", // Gemini CLI, Qwen Code
    "bash", "powershell", "write_bash", "write_powershell", // Copilot (bash also opencode)
  ]),
  write: new Set([
    "Write", "Edit", "MultiEdit", "NotebookEdit", // Claude Code
    "write_file", "replace", "edit", "notebook_edit", // Gemini CLI, Qwen Code
    "apply_patch", // Codex, opencode, Copilot
    "write", "multiedit", "patch", // opencode (and edit)
    "create", "str_replace_editor", // Copilot (and edit)
  ]),
  read: new Set([
    "Read", "Grep", "Glob", "LS", "NotebookRead", // Claude Code
    "read_file", "read_many_files", "glob", "grep_search", "search_file_content", "list_directory", // Gemini, Qwen
    "view", "grep", "rg", // Copilot (and glob)
    "read", "list", // opencode (and glob, grep)
  ]),
};

function classOf(toolName: string, input: Readonly<Record<string, unknown>>): ToolClass | undefined {
  if (/^mcp__?/.test(toolName) || /^cao-mcp-server[-_]/.test(toolName)) return "mcp";
  // Copilot's editor tool both reads and writes: its command says which.
  if (toolName === "str_replace_editor" && input.command === "view") return "read";
  for (const kind of ["shell", "write", "read"] as const) if (TOOL_CLASSES[kind].has(toolName)) return kind;
  return undefined;
}

/** Whether a profile list entry names the tool: its name, a `*` pattern, or its class. */
function names(entry: string, toolName: string, toolClass: ToolClass | undefined): boolean {
  if (entry === toolName || entry === toolClass) return true;
  if (!entry.includes("*")) return false;
  const pattern = entry.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${pattern.join(".*")}$`, "s").test(toolName);
}

/** The command text a shell tool was given: `command` (a string or an argv), `cmd`, or the input typed into a shell. */
function commandOf(input: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of ["command", "cmd", "input", "chars"]) {
    const value = input[key];
    if (typeof value === "string") return value;
    if (Array.isArray(value) && value.every((part) => typeof part === "string")) return value.join(" ");
  }
  return undefined;
}

const PATCH_FILE = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+?)\s*$/gm;

/** Every file an apply_patch patch in the input names (`*** Add File: path`, `*** Update File: …`, `*** Move to: …`). */
function patchedFiles(input: Readonly<Record<string, unknown>>): string[] {
  const texts = Object.values(input).flatMap((value) => (Array.isArray(value) ? value : [value]));
  return texts
    .filter((text): text is string => typeof text === "string" && text.includes("*** Begin Patch"))
    .flatMap((text) => [...text.matchAll(PATCH_FILE)].map((match) => match[1]!));
}

/** The files a write tool writes: its path field(s), and the files its patch names. */
function writtenFiles(input: Readonly<Record<string, unknown>>): string[] {
  const direct = ["file_path", "filePath", "notebook_path", "path"]
    .map((key) => input[key])
    .filter((value): value is string => typeof value === "string" && value !== "");
  return [...direct, ...patchedFiles(input)];
}

/**
 * Where `target` (absolute) really is: each existing component's symbolic links followed (a dangling link to where it
 * points), `..` applied to the real directory as the kernel does; the part that does not exist yet is kept as written.
 */
function physicalPath(target: string, hops = 0): string {
  if (hops > 40) throw new Error(`too many symbolic links resolving ${target}`);
  const parts = target.split(path.sep).filter((part) => part !== "");
  let current = path.parse(target).root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === ".") continue;
    if (part === "..") {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(next);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return path.resolve(next, ...parts.slice(i + 1)); // from here on nothing exists: lexical
    }
    if (stat.isSymbolicLink()) {
      const link = fs.readlinkSync(next);
      const pointsTo = path.isAbsolute(link) ? link : current + path.sep + link;
      return physicalPath([pointsTo, ...parts.slice(i + 1)].join(path.sep), hops + 1);
    }
    current = next;
  }
  return current;
}

/** Whether `file` is `dir` or below it (path.relative, so /work/ab is not under /work/a). */
function isWithin(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === "" || (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative));
}

const short = (text: string): string => (text.length > 120 ? `${text.slice(0, 117)}...` : text);

export default class ToolPolicy extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private policy: ToolPolicySettings = { shell: { deny: [] }, writes: { insideWorkingDirectory: false }, profiles: {} };
  private shellRules: Array<{ rule: string; matches: (command: string) => boolean }> = [];
  private env: Readonly<Record<string, string | undefined>> = process.env;
  /** Each terminal's working directory (resolved), asked of the server once; dropped when the terminal is killed. */
  private readonly directories = new Map<string, Promise<string>>();

  override async setup(context: PluginContext<ToolPolicySettings>): Promise<void> {
    if (context.config) this.policy = context.config;
    this.env = context.env;
    this.shellRules = this.policy.shell.deny.map((rule) => {
      const regex = regexOf(rule);
      if (regex) return { rule, matches: (command: string) => regex.test(command) };
      const needle = rule.trim().replace(/\s+/g, " ");
      return { rule, matches: (command: string) => command.replace(/\s+/g, " ").includes(needle) };
    });
  }

  @intercept("pre_tool_use", { priority: 100, failClosed: true })
  async check(op: PreToolUse) {
    const toolClass = classOf(op.toolName, op.toolInput);
    const problem =
      this.profileRefusal(op, toolClass) ??
      (toolClass === "shell" ? this.shellRefusal(op) : undefined) ??
      (await this.writeRefusal(op, toolClass));
    if (problem) return deny(problem);
  }

  @hook("terminal_killed")
  forget(event: TerminalKilledEvent): void {
    this.directories.delete(event.terminalId);
  }

  private profileRefusal(op: PreToolUse, toolClass: ToolClass | undefined): string | undefined {
    if (!Object.hasOwn(this.policy.profiles, op.agentName)) return undefined;
    const lists = this.policy.profiles[op.agentName]!;
    const what = `tool ${op.toolName}${toolClass ? ` (${toolClass})` : ""}`;
    const denied = lists.deny?.find((entry) => names(entry, op.toolName, toolClass));
    if (denied !== undefined)
      return `${what} is denied for agent profile ${op.agentName} (profiles.${op.agentName}.deny: ${denied})`;
    if (lists.allow && !lists.allow.some((entry) => names(entry, op.toolName, toolClass)))
      return `${what} is not allowed for agent profile ${op.agentName} (profiles.${op.agentName}.allow: ${lists.allow.join(", ")})`;
    return undefined;
  }

  private shellRefusal(op: PreToolUse): string | undefined {
    if (this.shellRules.length === 0) return undefined;
    const command = commandOf(op.toolInput);
    if (command === undefined)
      return `cannot read the command of ${op.toolName} to check it against shell.deny (input keys: ${Object.keys(op.toolInput).join(", ") || "none"})`;
    const hit = this.shellRules.find(({ matches }) => matches(command));
    if (hit) return `shell command matches shell.deny rule ${JSON.stringify(hit.rule)}: ${short(command)}`;
    return undefined;
  }

  private async writeRefusal(op: PreToolUse, toolClass: ToolClass | undefined): Promise<string | undefined> {
    if (!this.policy.writes.insideWorkingDirectory) return undefined;
    let files: string[];
    if (toolClass === "write") {
      files = writtenFiles(op.toolInput);
      if (files.length === 0)
        return `cannot tell which file ${op.toolName} writes (input keys: ${Object.keys(op.toolInput).join(", ") || "none"}), so writes.insideWorkingDirectory refuses it`;
    } else if (toolClass === "shell") {
      files = patchedFiles(op.toolInput); // a shell command carrying an apply_patch patch (Codex)
      if (files.length === 0) return undefined;
    } else return undefined;
    const root = await this.workingDirectory(op.terminalId);
    const home = this.env.HOME || os.homedir();
    for (const file of files) {
      const expanded = file === "~" || file.startsWith("~/") ? home + file.slice(1) : file;
      // Joined, not resolved: a `..` after a symbolic link is the real directory's parent, as the kernel sees it.
      const written = path.isAbsolute(expanded) ? expanded : root + path.sep + expanded;
      const real = physicalPath(written);
      if (!isWithin(real, root)) {
        const via = real === file ? "" : ` (really ${real})`;
        return `${op.toolName} writes ${file}${via}, outside the working directory ${root} (writes.insideWorkingDirectory)`;
      }
    }
    return undefined;
  }

  private workingDirectory(terminalId: string): Promise<string> {
    let known = this.directories.get(terminalId);
    if (!known) {
      known = this.askServer(terminalId);
      this.directories.set(terminalId, known);
      known.catch(() => this.directories.delete(terminalId)); // asked again next time
    }
    return known;
  }

  /** GET /terminals/:id/working-directory of this server, resolved to where it really is. */
  private async askServer(terminalId: string): Promise<string> {
    const configured = this.env.CAO_API_HOST || "127.0.0.1";
    const host = ["0.0.0.0", "::", "[::]"].includes(configured) ? "127.0.0.1" : configured; // a wildcard bind
    const port = this.env.CAO_API_PORT || "9889";
    const url = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}/terminals/${encodeURIComponent(terminalId)}/working-directory`;
    const token = this.env.CAO_API_TOKEN;
    let answer: Response;
    try {
      answer = await fetch(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(1500),
      });
    } catch (error) {
      throw new Error(
        `cannot learn the working directory of terminal ${terminalId}: GET ${url} failed: ${(error as Error).message}`,
      );
    }
    const body = (await answer.json().catch(() => ({}))) as { working_directory?: unknown; detail?: unknown };
    if (!answer.ok || typeof body.working_directory !== "string" || !path.isAbsolute(body.working_directory))
      throw new Error(
        `cannot learn the working directory of terminal ${terminalId}: GET ${url} answered ${answer.status}${typeof body.detail === "string" ? ` (${body.detail})` : ""}`,
      );
    return physicalPath(body.working_directory);
  }
}
