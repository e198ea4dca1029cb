/**
 * The database could not do what was asked because of the storage underneath it (read-only file system, disk full,
 * I/O error, file gone): HTTP 503, and the request changed nothing. Programming errors (a constraint violated, bad
 * SQL) are not StorageErrors; they stay 500.
 */
export class StorageError extends Error {
  readonly statusCode = 503;
  constructor(
    message: string,
    /** SQLite's extended result code, e.g. SQLITE_READONLY_DBMOVED, SQLITE_FULL, SQLITE_IOERR_WRITE. */
    readonly sqliteCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StorageError";
  }
}

const STORAGE_CODES = /^SQLITE_(READONLY|IOERR|FULL|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|NOLFS|AUTH|PERM)/;

/** better-sqlite3 throws SqliteError with a `code` like "SQLITE_IOERR_WRITE"; storage faults become StorageError. */
export function asStorageError(error: unknown, what: string): StorageError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !STORAGE_CODES.test(code)) return undefined;
  return new StorageError(`storage unavailable while ${what}: ${(error as Error).message} (${code})`, code, {
    cause: error,
  });
}

/** The file was deleted or renamed under an open connection: SQLite refuses writes with this code. */
export function isFileMoved(error: unknown): boolean {
  return (error as { sqliteCode?: unknown; code?: unknown } | null)?.sqliteCode === "SQLITE_READONLY_DBMOVED";
}
