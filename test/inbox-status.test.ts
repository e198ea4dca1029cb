/**
 * The inbox statuses have one typed source (INBOX_STATUSES); the schema's CHECK constraint is append-only SQL that
 * spells them again. This holds the two together on a real SQLite file: the schema accepts exactly those statuses.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { INBOX_STATUSES, isInboxStatus } from "../src/clients/database.js";
import { MIGRATIONS } from "../src/clients/migrations.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";

afterAll(removeTempDirs);

it("the inbox table accepts every status of INBOX_STATUSES and refuses any other", () => {
  const db = new Database(path.join(tempDir(), "cao.db"));
  try {
    for (const migration of MIGRATIONS) db.exec(migration);
    const insert = db.prepare(
      `INSERT INTO inbox (sender_id, receiver_id, message, status, created_at) VALUES ('a', 'b', 'm', ?, 'now')`,
    );
    const accepted = (status: string) => {
      try {
        insert.run(status);
        return true;
      } catch (error) {
        expect(String(error)).toMatch(/CHECK constraint failed/);
        return false;
      }
    };
    for (const status of INBOX_STATUSES) expect(accepted(status), status).toBe(true);
    for (const status of ["delivering", "PENDING", "", "queued"]) expect(accepted(status), status).toBe(false);
  } finally {
    db.close();
  }
});

it("isInboxStatus narrows exactly the listed statuses", () => {
  expect(INBOX_STATUSES.filter(isInboxStatus)).toEqual([...INBOX_STATUSES]);
  for (const value of ["delivering", "Pending", 1, null, undefined]) expect(isInboxStatus(value)).toBe(false);
});
