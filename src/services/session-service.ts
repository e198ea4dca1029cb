import { randomBytes } from "node:crypto";
import type { CaoDatabase } from "../clients/database.js";
import type { SessionSummary } from "../contract/api.js";
import { TmuxGoneError, type TmuxClient } from "../clients/tmux.js";
import { SessionCreatedEvent, SessionKilledEvent } from "../plugins/api/events.js";
import type { EventSink } from "./event-sink.js";
import { admit, OPEN_GATE, type OperationGate } from "./operation-gate.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { normalizeSessionName, SESSION_PREFIX } from "../util/session-name.js";
import { assertTmuxName, ValidationError } from "../util/validate.js";
import type { Reconciler } from "./reconciler.js";
import { prepareText } from "./terminals/text.js";
import type { Terminal, TerminalService } from "./terminal-service.js";

export { SESSION_PREFIX };

/** A session as `GET /sessions` lists it (the contract's shape). */
export type Session = SessionSummary;

/** What creating a terminal takes, by the routes' names (docs/contract.md): provider, caller and tools are optional. */
export interface NewTerminal {
  /** Default: the profile's provider, else CAO_DEFAULT_PROVIDER (docs/orchestration.md#provider-choice). */
  provider?: string;
  agentProfile: string;
  workingDirectory?: string;
  /** An existing terminal: the one whose handoff or assign creates this one. */
  callerId?: string;
  allowedTools?: string[];
  /** Typed into the agent once it is ready, before the create answers. */
  initialMessage?: string;
}

export interface CreateSession extends Omit<NewTerminal, "callerId"> {
  sessionName?: string;
}

/** Sessions are tmux sessions named `cao-<name>`; creating one creates its first terminal. */
export class SessionService {
  /** Session names with a create in flight. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly deps: {
      tmux: TmuxClient;
      db: CaoDatabase;
      terminals: TerminalService;
      sink: EventSink;
      reconciler: Reconciler;
      /** Asked before a session is created (docs/contract.md#interception-points); default: no interceptors. */
      gate?: OperationGate;
    },
  ) {}

  /** `name` or `cao-name` → `cao-name`, validated (normalizeSessionName); a random name when none is given. */
  static normalizeName(name: string | undefined): string {
    if (name === undefined || name === "") return `${SESSION_PREFIX}${randomBytes(4).toString("hex")}`;
    return normalizeSessionName(name);
  }

  async create(spec: CreateSession): Promise<Terminal> {
    const sessionName = SessionService.normalizeName(spec.sessionName);
    if (spec.initialMessage !== undefined) prepareText(spec.initialMessage); // a 400 before anything is created
    // A create awaits tmux between checking that the name is free and creating the session (and the agent's start
    // after that): a second create of the same name meanwhile is refused here, instead of racing inside tmux.
    if (this.creating.has(sessionName))
      throw new ConflictError(`session ${sessionName} already exists (it is being created)`);
    this.creating.add(sessionName);
    let terminal: Terminal;
    try {
      let workingDirectory = spec.workingDirectory;
      const gate = this.deps.gate ?? OPEN_GATE;
      if (gate.intercepts("pre_create_session")) {
        // Checked first, so interceptors see real values (the resolved directory) and bad input is a 400, not their business.
        const launch = this.deps.terminals.resolveLaunch(spec);
        const op = await admit<"pre_create_session">(gate, {
          point: "pre_create_session",
          sessionName,
          provider: launch.provider.name,
          agentProfile: launch.profile.name,
          workingDirectory: launch.workingDirectory,
        });
        workingDirectory = op.workingDirectory;
      }
      terminal = await this.deps.terminals.create({
        sessionName,
        ...(spec.provider !== undefined ? { provider: spec.provider } : {}),
        agentProfile: spec.agentProfile,
        ...(workingDirectory !== undefined ? { workingDirectory } : {}),
        ...(spec.allowedTools !== undefined ? { allowedTools: spec.allowedTools } : {}),
        newSession: true,
      });
    } catch (error) {
      // Backstop: another process on the same tmux server created it after our check; the same conflict, not a 500.
      if (error instanceof Error && /duplicate session/.test(error.message))
        throw new ConflictError(`session ${sessionName} already exists`);
      throw error;
    } finally {
      this.creating.delete(sessionName);
    }
    this.deps.sink.dispatch(new SessionCreatedEvent({ sessionId: sessionName, sessionName }));
    await this.typeInitialMessage(terminal, spec.initialMessage);
    return terminal;
  }

  /** A terminal in an existing session (`POST /sessions/:name/terminals`); 404 for a session that does not exist. */
  async addTerminal(sessionName: string, spec: NewTerminal): Promise<Terminal> {
    await this.get(sessionName); // 404 before any tmux change
    if (spec.initialMessage !== undefined) prepareText(spec.initialMessage);
    if (spec.callerId !== undefined && !this.deps.db.getTerminal(spec.callerId))
      throw new ValidationError(`caller_id ${spec.callerId} is not a terminal of this server`);
    const terminal = await this.deps.terminals.create({
      sessionName,
      ...(spec.provider !== undefined ? { provider: spec.provider } : {}),
      agentProfile: spec.agentProfile,
      ...(spec.workingDirectory !== undefined ? { workingDirectory: spec.workingDirectory } : {}),
      ...(spec.callerId !== undefined ? { callerId: spec.callerId } : {}),
      ...(spec.allowedTools !== undefined ? { allowedTools: spec.allowedTools } : {}),
      newSession: false,
    });
    await this.typeInitialMessage(terminal, spec.initialMessage);
    return terminal;
  }

  /**
   * Types a create's initial message into its agent, which is ready by now. A create is all or nothing: when the
   * message cannot be typed (an interceptor denies it), the new terminal is removed and the error answers the create.
   */
  private async typeInitialMessage(terminal: Terminal, message: string | undefined): Promise<void> {
    if (message === undefined) return;
    try {
      await this.deps.terminals.sendInput(terminal.id, message);
    } catch (error) {
      await this.deleteTerminal(terminal.id).catch(() => undefined);
      throw error;
    }
  }

  /** The tmux sessions named `cao-…`, read by a reconcile pass: a session that vanished is forgotten, not listed. */
  async list(): Promise<Session[]> {
    const { sessions: names } = await this.deps.reconciler.reconcile("live");
    return names
      .filter((n) => n.startsWith(SESSION_PREFIX))
      .map((name) => ({ id: name, name, status: "active" as const }));
  }

  async get(name: string): Promise<{ session: Session; terminals: Terminal[] }> {
    await this.assertExists(name);
    return { session: { id: name, name, status: "active" }, terminals: await this.deps.terminals.listSession(name) };
  }

  /**
   * Kills the session and its terminals; emits terminal_killed for each, then session_killed. A session still on
   * record whose tmux session already vanished is forgotten (with the same events) and the delete succeeds.
   */
  async delete(name: string): Promise<void> {
    assertTmuxName(name, "session_name");
    if (!name.startsWith(SESSION_PREFIX)) throw new NotFoundError(`session ${name} not found`);
    const records = this.deps.db.terminalsOfSession(name);
    try {
      await this.deps.tmux.killSession(name);
    } catch (error) {
      if (!(error instanceof TmuxGoneError)) throw error;
      if (records.length === 0) throw new NotFoundError(`session ${name} not found`);
      // It vanished under us but is still on record: forgetting it, with its events, is what a delete does.
      await this.deps.reconciler.reconcile("live");
      return;
    }
    await this.deps.terminals.endAgentProcesses(records.map((record) => record.id));
    const forgotten = records.filter((record) => this.deps.terminals.forget(record));
    // Forgotten meanwhile by a reconcile pass, which announced the session's end itself.
    if (forgotten.length > 0 || records.length === 0)
      this.deps.sink.dispatch(new SessionKilledEvent({ sessionId: name, sessionName: name }));
  }

  /**
   * Deletes one terminal. tmux closes a session with its last window, so deleting a session's last terminal ends the
   * session too: session_killed then follows terminal_killed.
   */
  async deleteTerminal(id: string): Promise<void> {
    const { sessionGone, record } = await this.deps.terminals.delete(id);
    if (sessionGone)
      this.deps.sink.dispatch(
        new SessionKilledEvent({ sessionId: record.session_name, sessionName: record.session_name }),
      );
  }

  private async assertExists(name: string): Promise<void> {
    assertTmuxName(name, "session_name");
    if (name.startsWith(SESSION_PREFIX) && (await this.deps.tmux.hasSession(name))) return;
    // Still on record but gone from tmux: forget it now, with its events, rather than at the next liveness pass.
    if (this.deps.db.terminalsOfSession(name).length > 0) await this.deps.reconciler.reconcile("live");
    throw new NotFoundError(`session ${name} not found`);
  }
}
