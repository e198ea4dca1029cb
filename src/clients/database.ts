import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { INBOX_STATUSES, type InboxStatus } from "../contract/vocabulary.js";
import { MIGRATIONS } from "./migrations.js";
import { asStorageError } from "./storage-error.js";

export interface TerminalRecord {
  id: string;
  session_name: string;
  window_name: string;
  provider: string;
  agent_profile: string;
  working_directory: string;
  created_at: string;
  last_active: string;
  /** The terminal whose handoff or assign created this one; null otherwise. */
  caller_id: string | null;
  /** The tool list the launch asked for, as a JSON array; null when it named none. */
  allowed_tools: string | null;
}

/** One journaled event: its sequence number, type and JSON (the event's toJSON() plus "seq"). */
/** A row of `flows` (docs/flows.md): times are ISO 8601 UTC; `enabled` is 0 or 1. */
export interface FlowRecord {
  name: string;
  file_path: string;
  schedule: string;
  agent_profile: string;
  provider: string | null;
  script: string;
  enabled: number;
  last_run: string | null;
  next_run: string | null;
}

export interface EventRow {
  seq: number;
  event_type: string;
  data: string;
}

/**
 * The states of an inbox message: the one list the type, the API's enum and validation read. The schema's CHECK
 * constraint (migrations.ts, append-only SQL) spells the same list; test/inbox-status.test.ts holds the two together.
 */
export { INBOX_STATUSES, type InboxStatus } from "../contract/vocabulary.js";

export function isInboxStatus(value: unknown): value is InboxStatus {
  return (INBOX_STATUSES as readonly unknown[]).includes(value);
}

export interface InboxRecord {
  id: number;
  sender_id: string;
  receiver_id: string;
  message: string;
  status: InboxStatus;
  attempts: number;
  created_at: string;
  delivered_at: string | null;
  error: string | null;
  /** Set while the message is being typed (still `pending`): after a crash it says "look before typing again". */
  delivering_at: string | null;
}

/** What a file on disk is, so a deleted or replaced database file can be told from the one we have open. */
interface FileIdentity {
  dev: number;
  ino: number;
}

function prepareStatements(db: Database.Database) {
  return {
    insertTerminal: db.prepare(
      `INSERT INTO terminals (id, session_name, window_name, provider, agent_profile, working_directory, created_at, last_active, caller_id, allowed_tools)
       VALUES (@id, @session_name, @window_name, @provider, @agent_profile, @working_directory, @created_at, @last_active, @caller_id, @allowed_tools)`,
    ),
    getTerminal: db.prepare(`SELECT * FROM terminals WHERE id = ?`),
    terminalsOfSession: db.prepare(`SELECT * FROM terminals WHERE session_name = ? ORDER BY created_at, rowid`),
    allTerminals: db.prepare(`SELECT * FROM terminals ORDER BY created_at, rowid`),
    deleteTerminal: db.prepare(`DELETE FROM terminals WHERE id = ?`),
    touchTerminal: db.prepare(`UPDATE terminals SET last_active = ? WHERE id = ?`),
    // No RETURNING: better-sqlite3's get() on INSERT … RETURNING returns the row even when the commit then fails
    // (read-only or full disk), which acknowledged messages that were never stored. run() reports the commit.
    insertMessage: db.prepare(
      `INSERT INTO inbox (sender_id, receiver_id, message, status, created_at) VALUES (?, ?, ?, 'pending', ?)`,
    ),
    getMessage: db.prepare(`SELECT * FROM inbox WHERE id = ?`),
    oldestPending: db.prepare(`SELECT * FROM inbox WHERE receiver_id = ? AND status = 'pending' ORDER BY id LIMIT 1`),
    receiversWithPending: db.prepare(`SELECT DISTINCT receiver_id FROM inbox WHERE status = 'pending'`),
    beginDelivery: db.prepare(`UPDATE inbox SET delivering_at = ? WHERE id = ? AND status = 'pending'`),
    abandonDelivery: db.prepare(`UPDATE inbox SET delivering_at = NULL WHERE id = ? AND status = 'pending'`),
    inDelivery: db.prepare(`SELECT * FROM inbox WHERE status = 'pending' AND delivering_at IS NOT NULL ORDER BY id`),
    markDelivered: db.prepare(
      `UPDATE inbox SET status = 'delivered', delivered_at = ?, delivering_at = NULL, attempts = attempts + 1 WHERE id = ? AND status = 'pending'`,
    ),
    markFailed: db.prepare(
      `UPDATE inbox SET status = 'failed', error = ?, delivering_at = NULL, attempts = attempts + 1 WHERE id = ? AND status = 'pending'`,
    ),
    countAttempt: db.prepare(`UPDATE inbox SET attempts = attempts + 1, error = ?, delivering_at = NULL WHERE id = ?`),
    failPendingFor: db.prepare(
      `UPDATE inbox SET status = 'failed', error = ?, delivering_at = NULL WHERE receiver_id = ? AND status = 'pending' RETURNING id, sender_id, receiver_id`,
    ),
    appendEvent: db.prepare(`INSERT INTO events (seq, event_type, data) VALUES (?, ?, ?)`),
    pruneEvents: db.prepare(`DELETE FROM events WHERE seq <= ?`),
    lastEventSeq: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`),
    eventsAfter: db.prepare(`SELECT seq, event_type, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
    fleetCursor: db.prepare(`SELECT seq FROM fleet_cursor WHERE host = ?`),
    setFleetCursor: db.prepare(
      `INSERT INTO fleet_cursor (host, seq) VALUES (?, ?) ON CONFLICT(host) DO UPDATE SET seq = excluded.seq`,
    ),
    newestEvents: db.prepare(
      `SELECT seq, event_type, data FROM (SELECT * FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
    ),
    insertFlow: db.prepare(
      `INSERT INTO flows (name, file_path, schedule, agent_profile, provider, script, enabled, last_run, next_run)
       VALUES (@name, @file_path, @schedule, @agent_profile, @provider, @script, 1, NULL, @next_run)`,
    ),
    getFlow: db.prepare(`SELECT * FROM flows WHERE name = ?`),
    allFlows: db.prepare(`SELECT * FROM flows ORDER BY next_run IS NULL, next_run, name`),
    deleteFlow: db.prepare(`DELETE FROM flows WHERE name = ?`),
    setFlowEnabled: db.prepare(`UPDATE flows SET enabled = ?, next_run = coalesce(?, next_run) WHERE name = ?`),
    setFlowRunTimes: db.prepare(`UPDATE flows SET last_run = ?, next_run = ? WHERE name = ?`),
  };
}

/**
 * CAO's state in SQLite (better-sqlite3: synchronous, which is what SQLite is; each call is microseconds).
 * WAL mode so readers never block the writer. Every write is committed before it returns, and a write that could not
 * be committed throws: a storage fault is a StorageError (HTTP 503), never a silent success.
 */
export class CaoDatabase {
  private db!: Database.Database;
  private statements!: ReturnType<typeof prepareStatements>;
  private identity: FileIdentity | undefined;

  constructor(readonly file: string) {
    this.open();
  }

  private open(): void {
    if (this.file !== ":memory:") fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      this.statements = prepareStatements(db);
    } catch (error) {
      db.close();
      throw asStorageError(error, `opening ${this.file}`) ?? error;
    }
    this.db = db;
    this.identity = this.fileIdentity();
  }

  /** Runs one statement; storage faults become StorageError, anything else (a bug) is rethrown as is. */
  private use<T>(what: string, action: (statements: ReturnType<typeof prepareStatements>) => T): T {
    try {
      return action(this.statements);
    } catch (error) {
      throw asStorageError(error, what) ?? error;
    }
  }

  insertTerminal(record: TerminalRecord): void {
    this.use("recording a terminal", (s) => s.insertTerminal.run(record));
  }

  getTerminal(id: string): TerminalRecord | undefined {
    return this.use("reading a terminal", (s) => s.getTerminal.get(id) as TerminalRecord | undefined);
  }

  terminalsOfSession(session: string): TerminalRecord[] {
    return this.use("reading terminals", (s) => s.terminalsOfSession.all(session) as TerminalRecord[]);
  }

  allTerminals(): TerminalRecord[] {
    return this.use("reading terminals", (s) => s.allTerminals.all() as TerminalRecord[]);
  }

  deleteTerminal(id: string): void {
    this.use("deleting a terminal", (s) => s.deleteTerminal.run(id));
  }

  touchTerminal(id: string, at: string): void {
    this.use("recording terminal activity", (s) => s.touchTerminal.run(at, id));
  }

  insertMessage(sender: string, receiver: string, message: string, at: string): InboxRecord {
    return this.use("storing an inbox message", (s) => {
      const { lastInsertRowid } = s.insertMessage.run(sender, receiver, message, at);
      return s.getMessage.get(lastInsertRowid) as InboxRecord;
    });
  }

  getMessage(id: number): InboxRecord | undefined {
    return this.use("reading an inbox message", (s) => s.getMessage.get(id) as InboxRecord | undefined);
  }

  listMessages(receiver: string, options: { status?: InboxStatus; limit: number }): InboxRecord[] {
    const where = options.status ? `AND status = ?` : "";
    const params: unknown[] = [receiver, ...(options.status ? [options.status] : []), options.limit];
    return this.use(
      "listing inbox messages",
      () =>
        this.db
          .prepare(`SELECT * FROM inbox WHERE receiver_id = ? ${where} ORDER BY id LIMIT ?`)
          .all(...params) as InboxRecord[],
    );
  }

  oldestPending(receiver: string): InboxRecord | undefined {
    return this.use("reading the inbox", (s) => s.oldestPending.get(receiver) as InboxRecord | undefined);
  }

  receiversWithPending(): string[] {
    return this.use("reading the inbox", (s) =>
      (s.receiversWithPending.all() as { receiver_id: string }[]).map((r) => r.receiver_id),
    );
  }

  /** Records that message `id` is about to be typed; false when it is no longer pending. */
  beginDelivery(id: number, at: string): boolean {
    return this.use("recording an inbox delivery", (s) => s.beginDelivery.run(at, id).changes === 1);
  }

  /** The message was not typed after all: it waits again as a plain pending message. */
  abandonDelivery(id: number): void {
    this.use("recording an inbox delivery", (s) => s.abandonDelivery.run(id));
  }

  /** Pending messages whose typing had begun when the previous run stopped. */
  messagesInDelivery(): InboxRecord[] {
    return this.use("reading the inbox", (s) => s.inDelivery.all() as InboxRecord[]);
  }

  /** True when this call moved the message from pending to delivered (exactly-once guard). */
  markDelivered(id: number, at: string): boolean {
    return this.use("recording an inbox delivery", (s) => s.markDelivered.run(at, id).changes === 1);
  }

  /** True when this call moved the message from pending to failed. */
  markFailed(id: number, error: string): boolean {
    return this.use("recording an inbox failure", (s) => s.markFailed.run(error, id).changes === 1);
  }

  countAttempt(id: number, error: string): void {
    this.use("recording an inbox attempt", (s) => s.countAttempt.run(error, id));
  }

  /** Fails every pending message of `receiver`; returns the messages that were failed by this call. */
  failPendingFor(receiver: string, error: string): Pick<InboxRecord, "id" | "sender_id" | "receiver_id">[] {
    return this.use(
      "failing inbox messages",
      (s) => s.failPendingFor.all(error, receiver) as Pick<InboxRecord, "id" | "sender_id" | "receiver_id">[],
    );
  }

  /**
   * Appends journaled events in one transaction (one commit for a whole batch), then drops every event at or below
   * `pruneThrough` (retention). Their seq were assigned by the caller, in order.
   */
  appendEvents(rows: readonly EventRow[], pruneThrough: number): void {
    this.use("journaling events", (s) => {
      this.db.transaction(() => {
        for (const row of rows) s.appendEvent.run(row.seq, row.event_type, row.data);
        if (pruneThrough > 0) s.pruneEvents.run(pruneThrough);
      })();
    });
  }

  /** The highest seq ever assigned (0 for none), even if that event has been pruned since. */
  lastEventSeq(): number {
    return this.use(
      "reading the event journal",
      (s) => (s.lastEventSeq.get() as { seq: number } | undefined)?.seq ?? 0,
    );
  }

  /** Up to `limit` journaled events after `since` (exclusive), oldest first; only `types` when given. */
  eventsAfter(since: number, limit: number, types?: readonly string[]): EventRow[] {
    return this.use("reading the event journal", (s) => {
      if (!types) return s.eventsAfter.all(since, limit) as EventRow[];
      return this.db
        .prepare(
          `SELECT seq, event_type, data FROM events WHERE seq > ? AND event_type IN (${types.map(() => "?").join(",")}) ORDER BY seq LIMIT ?`,
        )
        .all(since, ...types, limit) as EventRow[];
    });
  }

  /** The seq of the last event the fleet's stream acknowledged for `host`, or undefined before it first joined. */
  fleetCursor(host: string): number | undefined {
    return this.use("reading the fleet cursor", (s) => (s.fleetCursor.get(host) as { seq: number } | undefined)?.seq);
  }

  setFleetCursor(host: string, seq: number): void {
    this.use("recording the fleet cursor", (s) => s.setFleetCursor.run(host, seq));
  }

  /** The newest `limit` journaled events, oldest first; only `types` when given. */
  newestEvents(limit: number, types?: readonly string[]): EventRow[] {
    return this.use("reading the event journal", (s) => {
      if (!types) return s.newestEvents.all(limit) as EventRow[];
      return this.db
        .prepare(
          `SELECT seq, event_type, data FROM (SELECT * FROM events WHERE event_type IN (${types.map(() => "?").join(",")}) ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
        )
        .all(...types, limit) as EventRow[];
    });
  }

  /**
   * Whether the file on disk is still the one this connection has open. Deleting it (or replacing it) while the
   * server runs is otherwise invisible: WAL-mode writes keep succeeding into the unlinked file, and the next start
   * would find an empty database and forget every live terminal.
   */
  insertFlow(record: Omit<FlowRecord, "enabled" | "last_run">): void {
    this.use("recording a flow", (s) => s.insertFlow.run(record));
  }

  getFlow(name: string): FlowRecord | undefined {
    return this.use("reading a flow", (s) => s.getFlow.get(name) as FlowRecord | undefined);
  }

  /** Every flow, soonest next run first (as the Python CAO lists them). */
  allFlows(): FlowRecord[] {
    return this.use("reading flows", (s) => s.allFlows.all() as FlowRecord[]);
  }

  deleteFlow(name: string): boolean {
    return this.use("deleting a flow", (s) => s.deleteFlow.run(name).changes > 0);
  }

  /** Enables or disables a flow; `nextRun` (when given) replaces its next run. False when there is no such flow. */
  setFlowEnabled(name: string, enabled: boolean, nextRun?: string): boolean {
    return this.use("updating a flow", (s) => s.setFlowEnabled.run(enabled ? 1 : 0, nextRun ?? null, name).changes > 0);
  }

  setFlowRunTimes(name: string, lastRun: string, nextRun: string | null): boolean {
    return this.use("updating a flow", (s) => s.setFlowRunTimes.run(lastRun, nextRun, name).changes > 0);
  }

  fileIsIntact(): boolean {
    if (this.file === ":memory:") return true;
    const now = this.fileIdentity();
    return (
      now !== undefined && this.identity !== undefined && now.dev === this.identity.dev && now.ino === this.identity.ino
    );
  }

  /**
   * Puts the open database back at its path: a copy of everything this connection sees (VACUUM INTO), then the old
   * connection closes and the copy takes the path. The old -wal/-shm belong to the old file and are removed first:
   * SQLite would otherwise replay their frames onto the copy.
   */
  restoreFile(): void {
    const restoring = `${this.file}.restoring-${process.pid}`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.rmSync(restoring, { force: true });
    this.use("restoring the database file", () => this.db.prepare("VACUUM INTO ?").run(restoring));
    this.db.close();
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(this.file + suffix, { force: true });
    fs.renameSync(restoring, this.file);
    this.open();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private fileIdentity(): FileIdentity | undefined {
    try {
      const stat = fs.statSync(this.file);
      return { dev: stat.dev, ino: stat.ino };
    } catch {
      return undefined;
    }
  }
}

/** `PRAGMA user_version` records how many migrations have run, so a restart only applies new ones. */
function migrate(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
