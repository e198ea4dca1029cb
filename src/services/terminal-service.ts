/**
 * Terminals: one tmux window each, running one agent CLI. A thin facade over the terminals package
 * (src/services/terminals/: launcher, input, exit tracker, panes, signals); the operations emit terminal events when
 * they succeed. See docs/architecture.md, "A terminal's life".
 */
import fs from "node:fs";
import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../clients/database.js";
import { TmuxGoneError, type PaneState, type TmuxClient } from "../clients/tmux.js";
import type { Terminal } from "../contract/api.js";
import type { OrchestrationType, TerminalStatus } from "../contract/vocabulary.js";
import { MessageSentEvent, TerminalCreatedEvent, TerminalKilledEvent } from "../plugins/api/events.js";
import type { ProfileStore } from "../profiles/profiles.js";
import type { ProviderRegistry } from "../providers/index.js";
import type { McpServerConfig } from "../providers/provider.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import type { CaoPaths } from "../util/paths.js";
import { readTail } from "../util/tail.js";
import { TERMINAL_KEY, TERMINAL_KEY_RULE } from "../util/tmux-key.js";
import { assertTerminalId, ValidationError } from "../util/validate.js";
import type { EventSink } from "./event-sink.js";
import { removeLaunchFiles } from "./launch-files.js";
import { OPEN_GATE, type OperationGate } from "./operation-gate.js";
import type { AgentHookLaunch } from "./agent-hooks/hook-launch.js";
import { ExitTracker } from "./terminals/exit-tracker.js";
import { TerminalInput } from "./terminals/input.js";
import { Launcher, type CreateTerminal } from "./terminals/launcher.js";
import { endLeftovers } from "./terminals/leftovers.js";
import { Panes } from "./terminals/panes.js";
import type { TerminalSignals } from "./terminals/signals.js";
import { prepareText } from "./terminals/text.js";

export type { Terminal, CreateTerminal };

export interface TerminalServiceDeps {
  tmux: TmuxClient;
  db: CaoDatabase;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  sink: EventSink;
  /** Told of every terminal's life: the inbox, the status monitor and the reconciler listen. */
  signals: TerminalSignals;
  /** Asked before a terminal is created and before anything is typed (docs/contract.md, "Interception points"). */
  gate?: OperationGate;
  paths: CaoPaths;
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
  /** Set when agents' own hooks report to CAO (docs/agent-hooks.md). */
  hooks?: AgentHookLaunch;
  /** The provider of a launch that names none and whose profile names none (CAO_DEFAULT_PROVIDER). */
  defaultProvider?: string;
}

/** Statuses already read and still current (the status monitor's); undefined for a terminal it cannot vouch for. */
export interface StatusCache {
  current(terminalId: string): TerminalStatus | undefined;
}

export interface InputOptions {
  senderId?: string;
  orchestrationType?: OrchestrationType;
}

const HISTORY_LINES = 10_000;

export class TerminalService {
  readonly signals: TerminalSignals;
  private readonly exits: ExitTracker;
  private readonly panes: Panes;
  private readonly launcher: Launcher;
  private readonly input: TerminalInput;
  private statusCache: StatusCache | undefined;

  constructor(private readonly deps: TerminalServiceDeps) {
    const gate = deps.gate ?? OPEN_GATE;
    this.signals = deps.signals;
    this.exits = new ExitTracker(deps.signals, deps.logger);
    this.panes = new Panes(deps.tmux, deps.signals, this.exits);
    this.launcher = new Launcher({ ...deps, gate, panes: this.panes });
    this.input = new TerminalInput({ ...deps, gate, panes: this.panes });
  }

  /** Windows whose creation or removal timed out; the reconciler removes them once tmux answers. */
  get abandoned() {
    return this.launcher.abandoned;
  }

  /** Checks a terminal's provider, profile and working directory (400 for a bad one), before anything is created. */
  resolveLaunch(spec: {
    provider?: string | undefined;
    agentProfile: string;
    workingDirectory?: string | undefined;
    allowedTools?: string[] | undefined;
  }) {
    return this.launcher.resolve(spec);
  }

  async create(spec: CreateTerminal): Promise<Terminal> {
    const { record } = await this.launcher.launch(spec);
    this.deps.sink.dispatch(
      new TerminalCreatedEvent({
        sessionId: spec.sessionName,
        terminalId: record.id,
        agentName: record.agent_profile,
        provider: record.provider,
      }),
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

  /** Where listings take statuses that are still current, so listing a large session does not read every pane. */
  useStatusCache(cache: StatusCache): void {
    this.statusCache = cache;
  }

  /** A session's terminals: statuses from the status cache where current, from tmux otherwise. */
  async listSession(sessionName: string): Promise<Terminal[]> {
    const records = this.deps.db.terminalsOfSession(sessionName);
    const terminals = await Promise.all(
      records.map(async (r) => {
        try {
          return this.toTerminal(r, this.statusCache?.current(r.id) ?? (await this.statusOf(r)));
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
    const { pane, screen } = await this.panes.probe(record);
    if (this.exits.check(record, pane)) return "error";
    return this.deps.providers.get(record.provider).getStatus(screen);
  }

  /** Whether the terminal's agent has exited; an exit is reported (the `exited` signal) each time it is found. */
  checkAgent(record: TerminalRecord, pane: PaneState): boolean {
    return this.exits.check(record, pane);
  }

  /** Why terminal `id` takes no more input, once its agent's exit has been seen; undefined while it runs. */
  exitReason(id: string): string | undefined {
    return this.exits.reason(id);
  }

  isStarting(id: string): boolean {
    return this.launcher.isStarting(id);
  }

  /** The cheap idle check: the provider's prompt at the end of the pane log, without asking tmux (undefined: no log to read). */
  idleByLogTail(record: TerminalRecord): boolean | undefined {
    const tail = readTail(this.deps.paths.terminalLog(record.id), 2048);
    return tail === undefined ? undefined : this.deps.providers.get(record.provider).idleTail(tail);
  }

  /** Bytes the terminal has printed so far (its pane log's size; 0 when there is none yet). */
  logSize(id: string): number {
    try {
      return fs.statSync(this.deps.paths.terminalLog(id)).size;
    } catch {
      return 0;
    }
  }

  async workingDirectory(id: string): Promise<string> {
    const record = this.record(id);
    // A dead pane has no current path: the directory it was started in is the answer then.
    return (
      (await this.panes.call(record, () => this.deps.tmux.paneCurrentPath(record.session_name, record.window_name))) ||
      record.working_directory
    );
  }

  /**
   * Types `message` into the terminal; emits message_sent when a sender and orchestration type are named. Interceptors
   * of pre_send_message see the text as it would be typed, after every check, and may deny or change it.
   */
  async sendInput(id: string, message: string, options: InputOptions = {}): Promise<void> {
    const text = prepareText(message);
    const record = this.record(id);
    if ((options.senderId === undefined) !== (options.orchestrationType === undefined)) {
      throw new ValidationError("sender_id and orchestration_type go together: give both or neither");
    }
    if (options.senderId !== undefined) assertTerminalId(options.senderId);
    const typed = await this.input.type(record, text, {
      sender: options.senderId ?? null,
      orchestrationType: options.orchestrationType ?? null,
    });
    if (options.senderId !== undefined && options.orchestrationType !== undefined) {
      this.deps.sink.dispatch(
        new MessageSentEvent({
          sessionId: record.session_name,
          sender: options.senderId,
          receiver: id,
          message: typed,
          orchestrationType: options.orchestrationType,
        }),
      );
    }
  }

  /**
   * The inbox's crash-safe typing (see TerminalInput.typeStaged). Returns the text typed; the caller records the
   * delivery and then reports it (reportTyped), so inbox_message_delivered comes before message_sent.
   */
  async typeStaged(
    id: string,
    message: string,
    options: { buffer: string; senderId: string; beforePaste: () => void },
  ): Promise<string> {
    const text = prepareText(message);
    await this.input.typeStaged(this.record(id), text, options);
    return text;
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
      new MessageSentEvent({
        sessionId: record?.session_name ?? null,
        sender: senderId,
        receiver: id,
        message,
        orchestrationType,
      }),
    );
  }

  /** The visible screen, without scrollback (the dashboard's live view); 404 once the window is gone. */
  async screen(id: string): Promise<string> {
    const record = this.record(id);
    return this.panes.call(record, () => this.deps.tmux.capture(record.session_name, record.window_name));
  }

  async output(id: string, mode: "full" | "last"): Promise<string> {
    const record = this.record(id);
    const screen = await this.panes.call(record, () =>
      this.deps.tmux.capture(record.session_name, record.window_name, HISTORY_LINES),
    );
    if (mode === "full") return screen;
    try {
      return this.deps.providers.get(record.provider).extractLastAnswer(screen);
    } catch (error) {
      throw new ConflictError(`terminal ${id} has no answer to return yet: ${(error as Error).message}`);
    }
  }

  /** Presses one tmux key in the terminal (docs/contract.md#routes); 400 for a name outside TERMINAL_KEY. */
  async sendKey(id: string, key: string): Promise<void> {
    const record = this.record(id);
    if (!TERMINAL_KEY.test(key))
      throw new ValidationError(
        `key ${JSON.stringify(key)} is not a tmux key name CAO sends: use ${TERMINAL_KEY_RULE}`,
      );
    await this.input.key(record, key);
  }

  async exit(id: string): Promise<void> {
    await this.input.exit(this.record(id));
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
      await this.signals.emit("vanished", {});
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
   * Drops the records of a terminal that is gone, tells the listeners (its pending inbox fails with `why`), and
   * emits terminal_killed. False when it was already forgotten (a deletion and a reconcile pass can meet), so events
   * are never doubled.
   */
  forget(record: TerminalRecord, why = "the receiving terminal was deleted"): boolean {
    if (!this.deps.db.getTerminal(record.id)) return false;
    this.deps.db.deleteTerminal(record.id);
    void this.signals.emit("gone", { record, why });
    removeLaunchFiles(this.deps.paths.runtime(record.id));
    void this.endAgentProcesses([record.id]); // when it vanished without a delete: what it left running
    this.exits.forget(record.id);
    this.deps.sink.dispatch(
      new TerminalKilledEvent({
        sessionId: record.session_name,
        terminalId: record.id,
        agentName: record.agent_profile,
      }),
    );
    return true;
  }

  /** Ends what the terminals' agents left running once their windows are gone. */
  endAgentProcesses(ids: readonly string[]): Promise<void> {
    return endLeftovers(ids, this.deps.logger);
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
      caller_id: record.caller_id ?? null,
      allowed_tools: record.allowed_tools ? (JSON.parse(record.allowed_tools) as string[]) : null,
    };
  }
}
