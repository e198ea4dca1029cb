import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface TerminalRecord {
  id: string;
  session_name: string;
  window_name: string;
  provider: string;
  agent_profile: string;
  working_directory: string;
  created_at: string;
  last_active: string;
}

export type InboxStatus = "pending" | "delivered" | "failed";

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
}

/** Ordered migrations; `PRAGMA user_version` records how many have run, so a restart only applies new ones. */
const MIGRATIONS: string[] = [
  `CREATE TABLE terminals (
     id TEXT PRIMARY KEY,
     session_name TEXT NOT NULL,
     window_name TEXT NOT NULL,
     provider TEXT NOT NULL,
     agent_profile TEXT NOT NULL,
     working_directory TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_active TEXT NOT NULL
   );
   CREATE INDEX terminals_by_session ON terminals(session_name);
   CREATE TABLE inbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     sender_id TEXT NOT NULL,
     receiver_id TEXT NOT NULL,
     message TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     delivered_at TEXT,
     error TEXT
   );
   CREATE INDEX inbox_pending ON inbox(receiver_id, status, id);`,
];

/**
 * CAO's state in SQLite (better-sqlite3: synchronous, which is what SQLite is; each call is microseconds).
 * WAL mode so readers never block the writer; every write that must survive a crash is committed before the
 * caller is answered.
 */
export class CaoDatabase {
  readonly db: Database.Database;
  private readonly statements;

  constructor(file: string) {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    const db = this.db;
    this.statements = {
      insertTerminal: db.prepare(
        `INSERT INTO terminals (id, session_name, window_name, provider, agent_profile, working_directory, created_at, last_active)
         VALUES (@id, @session_name, @window_name, @provider, @agent_profile, @working_directory, @created_at, @last_active)`,
      ),
      getTerminal: db.prepare(`SELECT * FROM terminals WHERE id = ?`),
      terminalsOfSession: db.prepare(`SELECT * FROM terminals WHERE session_name = ? ORDER BY created_at, rowid`),
      allTerminals: db.prepare(`SELECT * FROM terminals ORDER BY created_at, rowid`),
      deleteTerminal: db.prepare(`DELETE FROM terminals WHERE id = ?`),
      deleteSessionTerminals: db.prepare(`DELETE FROM terminals WHERE session_name = ?`),
      touchTerminal: db.prepare(`UPDATE terminals SET last_active = ? WHERE id = ?`),
      insertMessage: db.prepare(
        `INSERT INTO inbox (sender_id, receiver_id, message, status, created_at) VALUES (?, ?, ?, 'pending', ?) RETURNING *`,
      ),
      oldestPending: db.prepare(`SELECT * FROM inbox WHERE receiver_id = ? AND status = 'pending' ORDER BY id LIMIT 1`),
      receiversWithPending: db.prepare(`SELECT DISTINCT receiver_id FROM inbox WHERE status = 'pending'`),
      markDelivered: db.prepare(`UPDATE inbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending'`),
      markFailed: db.prepare(`UPDATE inbox SET status = 'failed', error = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending'`),
      countAttempt: db.prepare(`UPDATE inbox SET attempts = attempts + 1, error = ? WHERE id = ?`),
      failPendingFor: db.prepare(`UPDATE inbox SET status = 'failed', error = ? WHERE receiver_id = ? AND status = 'pending'`),
    };
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  insertTerminal(record: TerminalRecord): void {
    this.statements.insertTerminal.run(record);
  }

  getTerminal(id: string): TerminalRecord | undefined {
    return this.statements.getTerminal.get(id) as TerminalRecord | undefined;
  }

  terminalsOfSession(session: string): TerminalRecord[] {
    return this.statements.terminalsOfSession.all(session) as TerminalRecord[];
  }

  allTerminals(): TerminalRecord[] {
    return this.statements.allTerminals.all() as TerminalRecord[];
  }

  deleteTerminal(id: string): void {
    this.statements.deleteTerminal.run(id);
  }

  deleteSessionTerminals(session: string): void {
    this.statements.deleteSessionTerminals.run(session);
  }

  touchTerminal(id: string, at: string): void {
    this.statements.touchTerminal.run(at, id);
  }

  insertMessage(sender: string, receiver: string, message: string, at: string): InboxRecord {
    return this.statements.insertMessage.get(sender, receiver, message, at) as InboxRecord;
  }

  listMessages(receiver: string, options: { status?: InboxStatus; limit: number }): InboxRecord[] {
    const where = options.status ? `AND status = ?` : "";
    const params: unknown[] = [receiver, ...(options.status ? [options.status] : []), options.limit];
    return this.db.prepare(`SELECT * FROM inbox WHERE receiver_id = ? ${where} ORDER BY id LIMIT ?`).all(...params) as InboxRecord[];
  }

  oldestPending(receiver: string): InboxRecord | undefined {
    return this.statements.oldestPending.get(receiver) as InboxRecord | undefined;
  }

  receiversWithPending(): string[] {
    return (this.statements.receiversWithPending.all() as { receiver_id: string }[]).map((r) => r.receiver_id);
  }

  /** True when this call moved the message from pending to delivered (exactly-once guard). */
  markDelivered(id: number, at: string): boolean {
    return this.statements.markDelivered.run(at, id).changes === 1;
  }

  markFailed(id: number, error: string): void {
    this.statements.markFailed.run(error, id);
  }

  countAttempt(id: number, error: string): void {
    this.statements.countAttempt.run(error, id);
  }

  failPendingFor(receiver: string, error: string): void {
    this.statements.failPendingFor.run(error, receiver);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
