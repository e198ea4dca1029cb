/** Ordered schema migrations of cao.db; append only (a released migration never changes). */
export const MIGRATIONS: readonly string[] = [
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
  // A message whose typing began (delivering_at set) and whose outcome was not recorded is checked against tmux
  // after a crash instead of being typed again blindly.
  `ALTER TABLE inbox ADD COLUMN delivering_at TEXT;`,
  // The event journal (docs/contract.md#events). AUTOINCREMENT: a seq is never reused, even after the newest rows were pruned
  // (sqlite_sequence remembers the highest ever assigned). `data` is the event's JSON as sent to clients.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     event_type TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX events_by_type ON events(event_type, seq);`,
  // How far each fleet host name has published this journal to NATS (docs/fleet.md): the seq of the last event the
  // stream acknowledged. Kept beside the journal so the two never disagree after a crash.
  `CREATE TABLE fleet_cursor (
     host TEXT PRIMARY KEY,
     seq INTEGER NOT NULL
   );`,
  // Scheduled flows (docs/flows.md): what `cao schedule add` registered, and when each runs. Times are ISO 8601 UTC;
  // next_run is written before a run starts, so a restart never runs the same slot twice.
  `CREATE TABLE flows (
     name TEXT PRIMARY KEY,
     file_path TEXT NOT NULL,
     schedule TEXT NOT NULL,
     agent_profile TEXT NOT NULL,
     provider TEXT,
     script TEXT NOT NULL DEFAULT '',
     enabled INTEGER NOT NULL DEFAULT 1,
     last_run TEXT,
     next_run TEXT
   );`,
  // Who created a terminal by handoff or assign (replies without receiver_id go there) and the tool list its launch
  // asked for, a JSON array (docs/orchestration.md). NULL for neither.
  `ALTER TABLE terminals ADD COLUMN caller_id TEXT;
   ALTER TABLE terminals ADD COLUMN allowed_tools TEXT;`,
];
