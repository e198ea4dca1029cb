import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../clients/database.js";
import { shellQuote, type TmuxClient } from "../clients/tmux.js";
import { MessageSentEvent, TerminalCreatedEvent, TerminalKilledEvent, type OrchestrationType } from "../plugins/events.js";
import type { EventSink } from "../plugins/registry.js";
import type { ProfileStore } from "../profiles/profiles.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { McpServerConfig, Provider, TerminalStatus } from "../providers/provider.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { assertMessage, assertTerminalId, ValidationError } from "../util/validate.js";
import { readTail } from "../util/tail.js";
import { removeLaunchFiles, writeLaunchFiles } from "./launch-files.js";

/** A terminal as the HTTP API shows it. */
export interface Terminal {
  id: string;
  name: string;
  provider: string;
  session_name: string;
  agent_profile: string;
  status: TerminalStatus;
  last_active: string;
}

export interface TerminalServiceDeps {
  tmux: TmuxClient;
  db: CaoDatabase;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  sink: EventSink;
  caoHome: string;
  /** Where kiro_cli and q_cli agent definitions go (default: the user's home directory). */
  homeDir?: string;
  logger: Logger;
  /** How agents reach cao-mcp-server (command + args); the per-terminal env is added here. */
  mcpServer: McpServerConfig;
  apiHost: string;
  apiPort: number;
  /** The server's CAO_API_TOKEN, handed to each terminal's cao-mcp-server (launch files are 0600). */
  apiToken?: string;
}

export interface CreateTerminal {
  sessionName: string;
  provider: string;
  agentProfile: string;
  workingDirectory?: string;
  /** Create the tmux session too (first terminal of a new session). */
  newSession: boolean;
}

export interface InputOptions {
  senderId?: string;
  orchestrationType?: OrchestrationType;
}

const HISTORY_LINES = 10_000;
const POLL_MS = 100;

/** Terminals: one tmux window each, running one agent CLI; the operations emit terminal events when they succeed. */
export class TerminalService {
  constructor(private readonly deps: TerminalServiceDeps) {}

  runtimeDir(id: string): string {
    return path.join(this.deps.caoHome, "runtime", id);
  }

  logFile(id: string): string {
    return path.join(this.deps.caoHome, "logs", "terminal", `${id}.log`);
  }

  async create(spec: CreateTerminal): Promise<Terminal> {
    const { tmux, db, providers, profiles, caoHome } = this.deps;
    const provider = providers.get(spec.provider);
    if (!providers.installed(provider.name)) {
      throw new ValidationError(`provider ${provider.name} needs \`${provider.binary}\` on PATH, and it is not there`);
    }
    const profile = profiles.load(spec.agentProfile);
    const cwd = resolveWorkingDirectory(spec.workingDirectory);
    const id = randomBytes(4).toString("hex");
    const window = `${profile.name}-${id.slice(0, 4)}`;
    const env = { CAO_TERMINAL_ID: id };
    if (spec.newSession) {
      if (await tmux.hasSession(spec.sessionName)) throw new ConflictError(`session ${spec.sessionName} already exists`);
      await tmux.newSession({ session: spec.sessionName, window, cwd, env });
    } else {
      if (!(await tmux.hasSession(spec.sessionName))) throw new NotFoundError(`session ${spec.sessionName} not found`);
      await tmux.newWindow({ session: spec.sessionName, window, cwd, env });
    }
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
    };
    try {
      db.insertTerminal(record);
      fs.mkdirSync(path.dirname(this.logFile(id)), { recursive: true });
      await tmux.pipeToFile(spec.sessionName, window, this.logFile(id));
      const plan = provider.buildLaunch({
        terminalId: id,
        profile,
        workingDirectory: cwd,
        caoHome,
        homeDir: this.deps.homeDir ?? os.homedir(),
        caoMcpServer: this.mcpServerFor(id),
      });
      writeLaunchFiles(this.runtimeDir(id), plan.files ?? []);
      await tmux.sendLiteral(spec.sessionName, window, plan.argv.map(shellQuote).join(" "));
      await tmux.sendKeys(spec.sessionName, window, ["Enter"]);
      await this.waitForStart(record, provider);
    } catch (error) {
      await this.discard(record, spec.newSession);
      throw error;
    }
    this.deps.sink.dispatch(
      new TerminalCreatedEvent({ sessionId: spec.sessionName, terminalId: id, agentName: profile.name, provider: provider.name }),
    );
    return this.toTerminal(record, await this.statusOf(record));
  }

  record(id: string): TerminalRecord {
    assertTerminalId(id);
    const record = this.deps.db.getTerminal(id);
    if (!record) throw new NotFoundError(`terminal ${id} not found`);
    return record;
  }

  async get(id: string): Promise<Terminal> {
    const record = this.record(id);
    return this.toTerminal(record, await this.statusOf(record));
  }

  async listSession(sessionName: string): Promise<Terminal[]> {
    const records = this.deps.db.terminalsOfSession(sessionName);
    return Promise.all(records.map(async (r) => this.toTerminal(r, await this.statusOf(r))));
  }

  async statusOf(record: TerminalRecord): Promise<TerminalStatus> {
    try {
      const screen = await this.deps.tmux.capture(record.session_name, record.window_name);
      return this.deps.providers.get(record.provider).getStatus(screen);
    } catch {
      return "error"; // the window is gone or tmux failed: nothing usable is running there
    }
  }

  /** The cheap idle check: the provider's prompt at the end of the pane log, without asking tmux (undefined: no log to read). */
  idleByLogTail(record: TerminalRecord): boolean | undefined {
    const tail = readTail(this.logFile(record.id), 2048);
    return tail === undefined ? undefined : this.deps.providers.get(record.provider).idleTail(tail);
  }

  /** Bytes the terminal has printed so far (its pane log's size; 0 when there is none yet). */
  logSize(id: string): number {
    try {
      return fs.statSync(this.logFile(id)).size;
    } catch {
      return 0;
    }
  }

  async workingDirectory(id: string): Promise<string> {
    const record = this.record(id);
    try {
      return await this.deps.tmux.paneCurrentPath(record.session_name, record.window_name);
    } catch {
      return record.working_directory;
    }
  }

  /** Types `message` into the terminal; emits message_sent when a sender and orchestration type are named. */
  async sendInput(id: string, message: string, options: InputOptions = {}): Promise<void> {
    assertMessage(message);
    const record = this.record(id);
    if ((options.senderId === undefined) !== (options.orchestrationType === undefined)) {
      throw new ValidationError("sender_id and orchestration_type go together: give both or neither");
    }
    if (options.senderId !== undefined) assertTerminalId(options.senderId);
    const provider = this.deps.providers.get(record.provider);
    // Recorded before typing: if storage refuses (503), nothing has been typed and the request changed nothing.
    this.deps.db.touchTerminal(id, new Date().toISOString());
    await this.deps.tmux.pasteText(record.session_name, record.window_name, message, provider.pasteEnterCount);
    if (options.senderId !== undefined && options.orchestrationType !== undefined) {
      this.deps.sink.dispatch(
        new MessageSentEvent({
          sessionId: record.session_name,
          sender: options.senderId,
          receiver: id,
          message,
          orchestrationType: options.orchestrationType,
        }),
      );
    }
  }

  /**
   * Types `text` in two tmux steps with a record in between, for the inbox's crash-safe delivery: the text is staged in
   * the named buffer, `beforePaste` runs (it records that typing begins; if it throws, nothing is typed), then one tmux
   * command pastes and deletes the buffer. Emits message_sent (send_message) once typed.
   */
  async typeStaged(id: string, text: string, options: { buffer: string; senderId: string; beforePaste: () => void }): Promise<void> {
    assertMessage(text);
    const record = this.record(id);
    const provider = this.deps.providers.get(record.provider);
    await this.deps.tmux.loadBuffer(options.buffer, text);
    options.beforePaste();
    await this.deps.tmux.pasteBuffer(record.session_name, record.window_name, options.buffer, provider.pasteEnterCount);
    this.touch(id);
    this.reportTyped(id, text, options.senderId, "send_message");
  }

  /** last_active after typing, best effort: the text is typed, so a storage fault here must not turn into an error. */
  private touch(id: string): void {
    try {
      this.deps.db.touchTerminal(id, new Date().toISOString());
    } catch (error) {
      this.deps.logger.warn({ err: error, terminal: id }, `could not record activity of terminal ${id}: ${(error as Error).message}`);
    }
  }

  /** Drops a staged buffer that will not be pasted (best effort: a missing buffer or tmux is fine). */
  async discardStaged(_id: string, buffer: string): Promise<void> {
    await this.deps.tmux.deleteBuffer(buffer).catch(() => undefined);
  }

  /** The staged buffers present in tmux now (after a crash: those never pasted). */
  stagedBuffers(): Promise<Set<string>> {
    return this.deps.tmux.bufferNames();
  }

  /** Whether terminal `id` is recorded and its tmux window still exists. */
  async isAlive(id: string): Promise<boolean> {
    const record = this.deps.db.getTerminal(id);
    return record !== undefined && (await this.windowExists(record));
  }

  /** Emits message_sent for text that was typed into terminal `id` on behalf of `senderId`. */
  reportTyped(id: string, message: string, senderId: string, orchestrationType: OrchestrationType): void {
    const record = this.deps.db.getTerminal(id);
    this.deps.sink.dispatch(
      new MessageSentEvent({ sessionId: record?.session_name ?? null, sender: senderId, receiver: id, message, orchestrationType }),
    );
  }

  async output(id: string, mode: "full" | "last"): Promise<string> {
    const record = this.record(id);
    const screen = await this.deps.tmux.capture(record.session_name, record.window_name, HISTORY_LINES);
    if (mode === "full") return screen;
    try {
      return this.deps.providers.get(record.provider).extractLastAnswer(screen);
    } catch (error) {
      throw new ConflictError(`terminal ${id} has no answer to return yet: ${(error as Error).message}`);
    }
  }

  async exit(id: string): Promise<void> {
    const record = this.record(id);
    const provider = this.deps.providers.get(record.provider);
    if ("keys" in provider.exit) await this.deps.tmux.sendKeys(record.session_name, record.window_name, provider.exit.keys);
    else await this.deps.tmux.pasteText(record.session_name, record.window_name, provider.exit.text, provider.pasteEnterCount);
  }

  /** Kills the window and forgets the terminal; returns whether its session went away with it. */
  async delete(id: string): Promise<{ sessionGone: boolean; record: TerminalRecord }> {
    const record = this.record(id);
    try {
      await this.deps.tmux.killWindow(record.session_name, record.window_name);
    } catch (error) {
      // Already gone (the agent exited and its shell closed) is the state we want; anything else is a failure.
      if (await this.windowExists(record)) throw error;
    }
    this.forget(record);
    return { sessionGone: !(await this.deps.tmux.hasSession(record.session_name)), record };
  }

  /** Drops the records of a terminal that is gone, fails its pending inbox, and emits terminal_killed. */
  forget(record: TerminalRecord, why = "the receiving terminal was deleted"): void {
    this.deps.db.deleteTerminal(record.id);
    this.deps.db.failPendingFor(record.id, why);
    removeLaunchFiles(this.runtimeDir(record.id));
    this.deps.sink.dispatch(new TerminalKilledEvent({ sessionId: record.session_name, terminalId: record.id, agentName: record.agent_profile }));
  }

  toTerminal(record: TerminalRecord, status: TerminalStatus): Terminal {
    return {
      id: record.id,
      name: record.window_name,
      provider: record.provider,
      session_name: record.session_name,
      agent_profile: record.agent_profile,
      status,
      last_active: record.last_active,
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
        CAO_API_PORT: String(this.deps.apiPort),
        ...(this.deps.apiToken !== undefined ? { CAO_API_TOKEN: this.deps.apiToken } : {}),
      },
    };
  }

  private async waitForStart(record: TerminalRecord, provider: Provider): Promise<void> {
    const deadline = Date.now() + provider.startupTimeoutMs;
    let status: TerminalStatus = "processing";
    while (Date.now() < deadline) {
      status = await this.statusOf(record);
      if (status === "idle" || status === "completed") return;
      if (status === "waiting_user_answer") return; // e.g. a trust prompt: up, and waiting for the user
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const screen = await this.deps.tmux.capture(record.session_name, record.window_name).catch(() => "");
    const lastLines = screen.trimEnd().split("\n").slice(-5).join(" | ");
    throw new Error(`${provider.name} did not become ready within ${provider.startupTimeoutMs} ms (status ${status}; screen: ${lastLines})`);
  }

  /** Undoes a create that failed part way. Each step on its own: a storage fault (often the very reason the create
   * failed) must not leave the tmux session or window behind. */
  private async discard(record: TerminalRecord, wholeSession: boolean): Promise<void> {
    const steps: [string, () => unknown][] = [
      ["killing its tmux window", () => (wholeSession ? this.deps.tmux.killSession(record.session_name) : this.deps.tmux.killWindow(record.session_name, record.window_name))],
      ["removing its record", () => this.deps.db.deleteTerminal(record.id)],
      ["removing its launch files", () => removeLaunchFiles(this.runtimeDir(record.id))],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.deps.logger.warn({ err: error, terminal: record.id }, `cleaning up terminal ${record.id} that failed to start: ${what} failed`);
      }
    }
  }

  private async windowExists(record: TerminalRecord): Promise<boolean> {
    try {
      return (await this.deps.tmux.listWindows(record.session_name)).includes(record.window_name);
    } catch {
      return false;
    }
  }
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
