import { randomBytes } from "node:crypto";
import type { Terminal } from "../contract/api.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../clients/database.js";
import { endProcesses, processesOfTerminal } from "../clients/agent-processes.js";
import { agentExited, describeExit } from "../clients/tmux-pane.js";
import { shellQuote, TmuxGoneError, type PaneProbe, type PaneState, type TmuxClient } from "../clients/tmux.js";
import { InboxMessageFailedEvent, MessageSentEvent, TerminalCreatedEvent, TerminalKilledEvent, type OrchestrationType } from "../plugins/api/events.js";
import type { EventSink } from "./event-sink.js";
import { admit, OPEN_GATE, type OperationGate } from "./operation-gate.js";
import type { ProfileStore } from "../profiles/profiles.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { McpServerConfig, Provider, TerminalStatus } from "../providers/provider.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { assertMessage, assertTerminalId, ValidationError } from "../util/validate.js";
import { readTail } from "../util/tail.js";
import { typedText } from "../util/typed-text.js";
import { AbandonedWindows } from "./abandoned-windows.js";
import { removeLaunchFiles, writeLaunchFiles } from "./launch-files.js";

/** A terminal as the HTTP API shows it (the contract's shape). */
export type { Terminal };

export interface TerminalServiceDeps {
  tmux: TmuxClient;
  db: CaoDatabase;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  sink: EventSink;
  /** Asked before a terminal is created and before anything is typed (DESIGN §11); default: no interceptors. */
  gate?: OperationGate;
  caoHome: string;
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
  /** Forgets whatever vanished from tmux (Reconciler.reconcile); called when a tmux call shows a terminal gone. */
  reconcile: () => Promise<unknown>;
  /** Told the status a new terminal's agent was ready with, before terminal_created: the status monitor's baseline. */
  onStarted?: (id: string, status: TerminalStatus) => void;
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
/** First-launch screens answered per launch at most (each answer is one key press; a loop must end). */
const MAX_FIRST_LAUNCH_ANSWERS = 6;
/** Checks after a paste whether the agent took its Enter (Provider.unsubmittedInput), and how long apart. */
const SUBMIT_CHECKS = 5;
const SUBMIT_CHECK_MS = 400;

/** Terminals: one tmux window each, running one agent CLI; the operations emit terminal events when they succeed. */
export class TerminalService {
  /** Terminals between their record and their agent's first ready screen: their create decides their fate. */
  private readonly starting = new Set<string>();
  /** Terminals whose agent was seen exited: once before its exit status was known, or already reported. */
  private readonly exitSeen = new Set<string>();
  /** Why each terminal whose agent has exited takes no more input (its exit was reported once, with this reason). */
  private readonly exitReasons = new Map<string, string>();
  /** Providers whose first-launch notice was logged (once per server). */
  private readonly noticed = new Set<string>();
  /** Windows whose creation or removal timed out; the reconciler removes them once tmux answers. */
  readonly abandoned = new AbandonedWindows();

  private readonly gate: OperationGate;

  constructor(private readonly deps: TerminalServiceDeps) {
    this.gate = deps.gate ?? OPEN_GATE;
  }

  runtimeDir(id: string): string {
    return path.join(this.deps.caoHome, "runtime", id);
  }

  logFile(id: string): string {
    return path.join(this.deps.caoHome, "logs", "terminal", `${id}.log`);
  }

  /** Checks a terminal's provider, profile and working directory (400 for a bad one), before anything is created. */
  resolveLaunch(spec: { provider: string; agentProfile: string; workingDirectory?: string | undefined }) {
    const { providers, profiles } = this.deps;
    const provider = providers.get(spec.provider);
    this.binaryPath(provider);
    return { provider, profile: profiles.load(spec.agentProfile), workingDirectory: resolveWorkingDirectory(spec.workingDirectory) };
  }

  async create(spec: CreateTerminal): Promise<Terminal> {
    const { tmux, db, caoHome } = this.deps;
    const gate = this.gate;
    const { provider, profile, workingDirectory } = this.resolveLaunch(spec);
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
    const id = randomBytes(4).toString("hex");
    const window = `${profile.name}-${id.slice(0, 4)}`;
    const plan = provider.buildLaunch({
      terminalId: id,
      binaryPath: this.binaryPath(provider),
      asRoot: process.getuid?.() === 0,
      profile,
      workingDirectory: cwd,
      caoHome,
      homeDir: this.deps.homeDir ?? os.homedir(),
      caoMcpServer: this.mcpServerFor(id),
    });
    // The agent's own variables are set in its window; its command runs as the window's command (see NewWindow).
    const windowSpec = { session: spec.sessionName, window, cwd, env: { ...plan.env, CAO_TERMINAL_ID: id }, command: this.commandLine(plan.argv) };
    if (spec.newSession) {
      if (await tmux.hasSession(spec.sessionName)) throw new ConflictError(`session ${spec.sessionName} already exists`);
      // Records left by a session of this name that vanished (its tmux server was killed) must not be adopted by
      // the new one: forget them first, with their events.
      if (db.terminalsOfSession(spec.sessionName).length > 0) await this.deps.reconcile();
    } else if (!(await tmux.hasSession(spec.sessionName))) throw new NotFoundError(`session ${spec.sessionName} not found`);
    // The agent reads its files (settings, MCP configuration) as it starts.
    writeLaunchFiles(this.runtimeDir(id), plan.files ?? [], plan.links ?? []);
    await (spec.newSession ? tmux.newSession(windowSpec) : tmux.newWindow(windowSpec)).catch((error: unknown) => {
      removeLaunchFiles(this.runtimeDir(id));
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
    };
    this.starting.add(id);
    try {
      db.insertTerminal(record);
      fs.mkdirSync(path.dirname(this.logFile(id)), { recursive: true });
      await tmux.pipeToFile(spec.sessionName, window, this.logFile(id));
      const ready = await this.waitForStart(record, provider);
      this.deps.onStarted?.(id, ready);
    } catch (error) {
      await this.discard(record, spec.newSession);
      throw error;
    } finally {
      this.starting.delete(id);
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
    const terminals = await Promise.all(
      records.map(async (r) => {
        try {
          return this.toTerminal(r, await this.statusOf(r));
        } catch (error) {
          if (error instanceof NotFoundError) return undefined; // vanished while listed: forgotten, not shown
          throw error;
        }
      }),
    );
    return terminals.filter((t): t is Terminal => t !== undefined);
  }

  /** `error` once the agent has exited; otherwise what the provider reads on the screen. 404 gone, 503 tmux unavailable. */
  async statusOf(record: TerminalRecord): Promise<TerminalStatus> {
    const { pane, screen } = await this.probe(record);
    if (this.checkAgent(record, pane)) return "error";
    return this.deps.providers.get(record.provider).getStatus(screen);
  }

  /**
   * Whether the terminal's agent has exited (its pane is dead, or back at a shell its agent left). If so, its
   * pending inbox messages fail with the reason — every time, since messages can still be posted to it.
   */
  checkAgent(record: TerminalRecord, pane: PaneState): boolean {
    if (!agentExited(pane)) return false;
    // tmux marks a pane dead when its output ends and learns the exit status when it reaps the agent, which can lag
    // (with pipe-pane, tmux 3.3 may leave it a zombie until its next child exits). Wait one more check for the
    // status, no longer, so the reason names the status or signal when it can.
    const statusKnown = !pane.dead || pane.exitStatus !== undefined || pane.exitSignal !== undefined;
    if (!statusKnown && !this.exitSeen.has(record.id)) {
      this.exitSeen.add(record.id);
      return true;
    }
    const reason = describeExit(pane);
    this.failInbox(record, reason);
    if (!this.exitReasons.has(record.id)) {
      this.exitReasons.set(record.id, reason);
      // A CLI's MCP servers or daemon may outlive it. (A pane back at a shell, in a window an older CAO made, is left
      // alone: that shell is the user's to close.)
      if (pane.dead) void this.endAgentProcesses([record.id]);
      this.deps.logger.warn({ terminal: record.id }, `terminal ${record.id}: ${reason}; it takes no more input, and its pending inbox messages failed`);
    }
    return true;
  }

  /** Why terminal `id` takes no more input, once its agent's exit has been seen; undefined while it runs. */
  exitReason(id: string): string | undefined {
    return this.exitReasons.get(id);
  }

  isStarting(id: string): boolean {
    return this.starting.has(id);
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
    // A dead pane has no current path: the directory it was started in is the answer then.
    return (await this.onTmux(record, () => this.deps.tmux.paneCurrentPath(record.session_name, record.window_name))) || record.working_directory;
  }

  /**
   * Types `message` into the terminal; emits message_sent when a sender and orchestration type are named. Interceptors
   * of pre_send_message see the text as it would be typed, after every check, and may deny or change it.
   */
  async sendInput(id: string, message: string, options: InputOptions = {}): Promise<void> {
    assertMessage(message);
    let text = typedText(message);
    if (text.trim() === "") throw new ValidationError("message has no text once control characters are removed");
    const record = this.record(id);
    if ((options.senderId === undefined) !== (options.orchestrationType === undefined)) {
      throw new ValidationError("sender_id and orchestration_type go together: give both or neither");
    }
    if (options.senderId !== undefined) assertTerminalId(options.senderId);
    const gate = this.gate;
    if (gate.intercepts("pre_send_message")) {
      const op = await admit<"pre_send_message">(gate, {
        point: "pre_send_message",
        sessionId: record.session_name,
        sender: options.senderId ?? null,
        receiver: id,
        message: text,
        orchestrationType: options.orchestrationType ?? null,
      });
      if (op.message !== text) text = checkedText(op.message, "a plugin's change left");
    }
    const provider = this.deps.providers.get(record.provider);
    // Recorded before typing: if storage refuses (503), nothing has been typed and the request changed nothing.
    this.deps.db.touchTerminal(id, new Date().toISOString());
    const refused = await this.onTmux(record, () =>
      this.deps.tmux.pasteText(record.session_name, record.window_name, text, provider.pasteEnterCount, provider.submitDelayMs),
    );
    if (refused) throw this.refusal(record, refused, "takes no input");
    await this.confirmSubmitted(record, provider);
    if (options.senderId !== undefined && options.orchestrationType !== undefined) {
      this.deps.sink.dispatch(
        new MessageSentEvent({
          sessionId: record.session_name,
          sender: options.senderId,
          receiver: id,
          message: text,
          orchestrationType: options.orchestrationType,
        }),
      );
    }
  }

  /**
   * Types `text` in two tmux steps with a record in between, for the inbox's crash-safe delivery: the text is staged in
   * the named buffer, `beforePaste` runs (it records that typing begins; if it throws, nothing is typed), then one tmux
   * command pastes and deletes the buffer. Returns the text typed; the caller records the delivery and then reports it
   * (reportTyped), so inbox_message_delivered comes before message_sent.
   */
  async typeStaged(id: string, message: string, options: { buffer: string; senderId: string; beforePaste: () => void }): Promise<string> {
    assertMessage(message);
    const text = typedText(message);
    if (text.trim() === "") throw new ValidationError("message has no text once control characters are removed");
    const record = this.record(id);
    const provider = this.deps.providers.get(record.provider);
    const { tmux } = this.deps;
    await this.onTmux(record, () => tmux.loadBuffer(options.buffer, text));
    options.beforePaste();
    const refused = await this.onTmux(record, () => tmux.pasteBuffer(record.session_name, record.window_name, options.buffer, provider.pasteEnterCount, provider.submitDelayMs));
    if (refused) throw this.refusal(record, refused, "takes no input");
    await this.confirmSubmitted(record, provider);
    this.touch(id);
    return text;
  }

  /** Fails the terminal's pending inbox messages, with one inbox_message_failed for each that this call failed. */
  private failInbox(record: TerminalRecord, reason: string): void {
    for (const failed of this.deps.db.failPendingFor(record.id, reason)) {
      this.deps.sink.dispatch(
        new InboxMessageFailedEvent({ sessionId: record.session_name, messageId: failed.id, sender: failed.sender_id, receiver: failed.receiver_id, reason }),
      );
    }
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
    if (record === undefined) return false;
    try {
      return (await this.deps.tmux.listWindows(record.session_name)).includes(record.window_name);
    } catch (error) {
      if (error instanceof TmuxGoneError) return false;
      throw error;
    }
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
    const screen = await this.onTmux(record, () => this.deps.tmux.capture(record.session_name, record.window_name, HISTORY_LINES));
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
    const { tmux } = this.deps;
    const refused = await this.onTmux(record, () =>
      "keys" in provider.exit
        ? tmux.sendKeys(record.session_name, record.window_name, provider.exit.keys)
        : tmux.pasteText(record.session_name, record.window_name, provider.exit.text, provider.pasteEnterCount, provider.submitDelayMs),
    );
    if (refused) throw this.refusal(record, refused, "cannot exit again");
    if (!("keys" in provider.exit)) await this.confirmSubmitted(record, provider);
  }

  /**
   * Presses Enter again while the agent still shows the pasted text in its input: TUIs that guard against pastes
   * in terminals without bracketed paste take an Enter that reaches them together with the paste (their event loop
   * was busy, so both arrived in one read) as a newline in it. A later Enter submits it. Best effort: an agent that
   * exits or vanishes meanwhile is left to the status monitor.
   */
  private async confirmSubmitted(record: TerminalRecord, provider: Provider): Promise<void> {
    if (!provider.unsubmittedInput) return;
    for (let check = 0; check < SUBMIT_CHECKS; check++) {
      await new Promise((resolve) => setTimeout(resolve, SUBMIT_CHECK_MS));
      const probe = await this.probe(record).catch(() => undefined);
      if (!probe || probe.pane.dead || !provider.unsubmittedInput(probe.screen)) return;
      this.deps.logger.debug({ terminal: record.id }, `terminal ${record.id}: ${provider.name} kept the pasted text in its input; pressing Enter again`);
      if (await this.deps.tmux.sendKeys(record.session_name, record.window_name, ["Enter"]).catch(() => "gone")) return;
    }
  }

  /** Kills the window and forgets the terminal; returns whether its session went away with it. */
  async delete(id: string): Promise<{ sessionGone: boolean; record: TerminalRecord }> {
    const record = this.record(id);
    try {
      await this.deps.tmux.killWindow(record.session_name, record.window_name);
      await this.endAgentProcesses([record.id]);
    } catch (error) {
      if (!(error instanceof TmuxGoneError)) throw error;
      // Already gone, perhaps with its session or the whole tmux server: the reconciler forgets what vanished and
      // emits its events (session_killed included), as for any vanished terminal.
      await this.deps.reconcile();
      this.forget(record); // in case the pass skipped it (still starting)
      return { sessionGone: false, record };
    }
    // A reconcile pass may have forgotten it meanwhile; it reported the session then.
    if (!this.forget(record)) return { sessionGone: false, record };
    const sessionGone = await this.deps.tmux.hasSession(record.session_name).then(
      (exists) => !exists,
      () => false, // tmux stopped answering: the next reconcile pass sees the session
    );
    return { sessionGone, record };
  }

  /**
   * Drops the records of a terminal that is gone, fails its pending inbox, and emits terminal_killed. False when it
   * was already forgotten (a deletion and a reconcile pass can meet), so events are never doubled.
   */
  forget(record: TerminalRecord, why = "the receiving terminal was deleted"): boolean {
    if (!this.deps.db.getTerminal(record.id)) return false;
    this.deps.db.deleteTerminal(record.id);
    this.failInbox(record, why);
    removeLaunchFiles(this.runtimeDir(record.id));
    void this.endAgentProcesses([record.id]); // when it vanished without a delete: what it left running
    this.exitSeen.delete(record.id);
    this.exitReasons.delete(record.id);
    this.deps.sink.dispatch(new TerminalKilledEvent({ sessionId: record.session_name, terminalId: record.id, agentName: record.agent_profile }));
    return true;
  }

  /**
   * Ends what terminals' agents left running once their windows are gone: a tmux window's end only hangs up its own
   * process group, and some CLIs restart themselves or start daemons outside it (docs/providers.md).
   */
  async endAgentProcesses(ids: readonly string[]): Promise<void> {
    const pids = ids.flatMap((id) => processesOfTerminal(id));
    if (pids.length === 0) return;
    const ended = await endProcesses(pids);
    if (ended.length > 0) this.deps.logger.info({ terminals: ids, pids: ended }, `ended ${ended.length} process(es) left behind by terminal(s) ${ids.join(", ")}`);
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

  /** The CLI's absolute path (400 when it is not on the server's PATH). */
  private binaryPath(provider: Provider): string {
    const found = this.deps.providers.binaryPath(provider.name);
    if (found === undefined) throw new ValidationError(`provider ${provider.name} needs \`${provider.binary}\` on PATH, and it is not there`);
    return found;
  }

  /**
   * The agent's command line. The agent gets the server's PATH (the tmux server's may be older or another's), so a
   * CLI that is a Node script finds `node` where the server does.
   */
  private commandLine(argv: string[]): string {
    const pathValue = this.deps.providers.agentPath();
    const prefix = pathValue ? ["env", `PATH=${pathValue}`] : [];
    return [...prefix, ...argv].map(shellQuote).join(" ");
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
    while (Date.now() < deadline) {
      const probe = await this.probe(record);
      screen = probe.screen;
      if (probe.pane.dead) throw new Error(`${provider.name} exited while starting: ${describeExit(probe.pane)} (screen: ${lastLines(screen)})`);
      status = provider.getStatus(screen);
      if (status === "idle" || status === "completed") return status;
      if (status === "waiting_user_answer") {
        const keys = answered < MAX_FIRST_LAUNCH_ANSWERS ? provider.firstLaunchKeys?.(screen) : undefined;
        if (keys === undefined) return status; // a dialog CAO does not answer: up, and waiting for the user
        answered++;
        this.deps.logger.info({ terminal: record.id, keys }, `terminal ${record.id}: answering ${provider.name}'s first-launch screen (${lastLines(screen, 2)})`);
        if (provider.firstLaunchNotice && !this.noticed.has(provider.name)) {
          this.noticed.add(provider.name);
          this.deps.logger.info({ provider: provider.name }, provider.firstLaunchNotice);
        }
        await this.deps.tmux.sendKeys(record.session_name, record.window_name, keys);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`${provider.name} did not become ready within ${provider.startupTimeoutMs} ms (status ${status}; screen: ${lastLines(screen)})`);
  }

  private probe(record: TerminalRecord): Promise<PaneProbe> {
    return this.onTmux(record, () => this.deps.tmux.probe(record.session_name, record.window_name));
  }

  /** Runs a tmux call for `record`; when tmux says the window is gone, forgets what vanished and answers 404. */
  private async onTmux<T>(record: TerminalRecord, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TmuxGoneError)) throw error;
      await this.deps.reconcile().catch((failure: unknown) => this.deps.logger.warn({ err: failure }, "reconciling after a vanished terminal failed"));
      throw new NotFoundError(`terminal ${record.id} is gone: its tmux window vanished`);
    }
  }

  /** The 409 for input to a terminal whose agent has exited (nothing was typed); its pending inbox fails too. */
  private refusal(record: TerminalRecord, pane: PaneState, what: string): ConflictError {
    this.checkAgent(record, pane);
    return new ConflictError(`terminal ${record.id} ${what}: ${describeExit(pane)}; nothing was typed`);
  }

  /** Undoes a create that failed part way. Each step on its own: a storage fault (often the very reason the create
   * failed) must not leave the tmux session or window behind. */
  private async discard(record: TerminalRecord, wholeSession: boolean): Promise<void> {
    this.exitSeen.delete(record.id);
    const steps: [string, () => unknown][] = [
      ["killing its tmux window", () => (wholeSession ? this.deps.tmux.killSession(record.session_name) : this.deps.tmux.killWindow(record.session_name, record.window_name))],
      ["removing its record", () => this.deps.db.deleteTerminal(record.id)],
      ["removing its launch files", () => removeLaunchFiles(this.runtimeDir(record.id))],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        if (what === "killing its tmux window") this.abandoned.noteIfUnanswered(error, record.session_name, record.window_name);
        this.deps.logger.warn({ err: error, terminal: record.id }, `cleaning up terminal ${record.id} that failed to start: ${what} failed`);
      }
    }
  }
}

/** Text that will be typed, checked again after an interceptor changed it: a change cannot smuggle in keystrokes. */
export function checkedText(message: string, what: string): string {
  assertMessage(message);
  const text = typedText(message);
  if (text.trim() === "") throw new ValidationError(`${what} no text to type`);
  return text;
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
