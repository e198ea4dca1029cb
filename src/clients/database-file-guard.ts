import type { Logger } from "pino";
import type { CaoDatabase } from "./database.js";

/**
 * Checks every `everyMs` that the database file on disk is still the one the server has open, and puts it back (with
 * a WARN) when it was deleted or replaced: otherwise the running server would go on writing into an unlinked file and
 * the next start would forget every live terminal and pending message. Returns the stopper.
 */
export function guardDatabaseFile(db: CaoDatabase, logger: Logger, everyMs = 2000): () => void {
  const check = (): void => {
    if (db.fileIsIntact()) return;
    logger.warn(
      `the database file ${db.file} was deleted or replaced while cao-server was running; restoring it from the open database`,
    );
    try {
      db.restoreFile();
      logger.warn(`the database file ${db.file} is restored`);
    } catch (error) {
      logger.error(
        { err: error },
        `could not restore ${db.file}: ${(error as Error).message}; state will be lost at restart`,
      );
    }
  };
  const timer = setInterval(check, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
