import { randomBytes } from "node:crypto";
import type { CaoDatabase, TerminalRecord } from "../clients/database.js";
import type { TmuxClient } from "../clients/tmux.js";
import { SessionCreatedEvent, SessionKilledEvent } from "../plugins/events.js";
import type { EventSink } from "../plugins/registry.js";
import { ConflictError, NotFoundError } from "../util/errors.js";
import { normalizeSessionName, SESSION_PREFIX } from "../util/session-name.js";
import { assertTmuxName } from "../util/validate.js";
import type { Terminal, TerminalService } from "./terminal-service.js";

export { SESSION_PREFIX };

export interface Session {
  id: string;
  name: string;
  status: "active";
}

export interface CreateSession {
  provider: string;
  agentProfile: string;
  sessionName?: string;
  workingDirectory?: string;
}

/** Sessions are tmux sessions named `cao-<name>`; creating one creates its first terminal. */
export class SessionService {
  /** Session names with a create in flight. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly deps: { tmux: TmuxClient; db: CaoDatabase; terminals: TerminalService; sink: EventSink },
  ) {}

  /** `name` or `cao-name` → `cao-name`, validated (normalizeSessionName); a random name when none is given. */
  static normalizeName(name: string | undefined): string {
    if (name === undefined || name === "") return `${SESSION_PREFIX}${randomBytes(4).toString("hex")}`;
    return normalizeSessionName(name);
  }

  async create(spec: CreateSession): Promise<Terminal> {
    const sessionName = SessionService.normalizeName(spec.sessionName);
    // A create awaits tmux between checking that the name is free and creating the session (and the agent's start
    // after that): a second create of the same name meanwhile is refused here, instead of racing inside tmux.
    if (this.creating.has(sessionName)) throw new ConflictError(`session ${sessionName} already exists (it is being created)`);
    this.creating.add(sessionName);
    let terminal: Terminal;
    try {
      terminal = await this.deps.terminals.create({
        sessionName,
        provider: spec.provider,
        agentProfile: spec.agentProfile,
        ...(spec.workingDirectory !== undefined ? { workingDirectory: spec.workingDirectory } : {}),
        newSession: true,
      });
    } catch (error) {
      // Backstop: another process on the same tmux server created it after our check; the same conflict, not a 500.
      if (error instanceof Error && /duplicate session/.test(error.message)) throw new ConflictError(`session ${sessionName} already exists`);
      throw error;
    } finally {
      this.creating.delete(sessionName);
    }
    this.deps.sink.dispatch(new SessionCreatedEvent({ sessionId: sessionName, sessionName }));
    return terminal;
  }

  async list(): Promise<Session[]> {
    const names = await this.deps.tmux.listSessions();
    return names.filter((n) => n.startsWith(SESSION_PREFIX)).map((name) => ({ id: name, name, status: "active" as const }));
  }

  async get(name: string): Promise<{ session: Session; terminals: Terminal[] }> {
    await this.assertExists(name);
    return { session: { id: name, name, status: "active" }, terminals: await this.deps.terminals.listSession(name) };
  }

  /** Kills the session and its terminals; emits terminal_killed for each, then session_killed. */
  async delete(name: string): Promise<void> {
    await this.assertExists(name);
    const records = this.deps.db.terminalsOfSession(name);
    await this.deps.tmux.killSession(name);
    for (const record of records) this.deps.terminals.forget(record);
    this.deps.sink.dispatch(new SessionKilledEvent({ sessionId: name, sessionName: name }));
  }

  /**
   * At start-up, forgets terminals whose tmux windows went away while the server was down (a reboot, a killed tmux
   * server): their pending inbox messages fail with a reason instead of waiting forever, and plugins hear
   * terminal_killed (and session_killed for a session that is gone entirely). Returns how many were forgotten.
   */
  async reconcile(): Promise<number> {
    const bySession = new Map<string, TerminalRecord[]>();
    for (const record of this.deps.db.allTerminals()) {
      const records = bySession.get(record.session_name);
      if (records) records.push(record);
      else bySession.set(record.session_name, [record]);
    }
    let forgotten = 0;
    for (const [name, records] of bySession) {
      const windows = await this.deps.tmux.listWindows(name).catch(() => [] as string[]); // no session: no windows
      const gone = records.filter((record) => !windows.includes(record.window_name));
      for (const record of gone) this.deps.terminals.forget(record, "its tmux window was gone when cao-server started");
      forgotten += gone.length;
      if (gone.length > 0 && !(await this.deps.tmux.hasSession(name))) this.sessionEnded(name);
    }
    return forgotten;
  }

  /** After the last terminal of a session was deleted, the session went with it. */
  sessionEnded(name: string): void {
    this.deps.sink.dispatch(new SessionKilledEvent({ sessionId: name, sessionName: name }));
  }

  private async assertExists(name: string): Promise<void> {
    assertTmuxName(name, "session_name");
    if (!name.startsWith(SESSION_PREFIX) || !(await this.deps.tmux.hasSession(name))) throw new NotFoundError(`session ${name} not found`);
  }
}
