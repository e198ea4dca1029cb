/**
 * Storage faults under a real `cao server` child process, with its database on a real file system: nothing is
 * acknowledged that is not committed, a storage error is a 503 `{detail}` that changed nothing, and a database file
 * deleted under the running server is detected and put back.
 *
 * A full disk is the fault used for "writes fail": a small tmpfs filled to the last byte. (A database that is already
 * open cannot be made read-only on Linux: open descriptors keep write access, and remounting read-only is refused
 * while files are open for writing. Both faults end the same way inside SQLite: the commit fails.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { TmuxClient } from "../src/clients/tmux.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { CAO_MAIN, stopServerProcesses, startServerProcess } from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const socket = `cao-storage-${process.pid}`;
const mounts: string[] = [];

function canMountTmpfs(): boolean {
  const probe = tempDir("cao-mount-probe-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await stopServerProcesses();
  await new TmuxClient({ socketName: socket }).killServer();
  for (const dir of mounts.splice(0)) execFileSync("umount", ["-l", dir], { stdio: "ignore" });
  removeTempDirs();
});

/** Writes zeros until the file system has no byte left; returns the filler's path (delete it to free the space). */
function fillUp(dir: string): string {
  const filler = path.join(dir, "filler");
  const fd = fs.openSync(filler, "w");
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  try {
    for (;;) fs.writeSync(fd, block, 0, 1); // the last partial block
  } catch {
    // full
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

describe.skipIf(!canMountTmpfs())("a full disk under the database (tmpfs; needs mount privileges)", () => {
  it("inbox, create and input answer 503 {detail} and change nothing; nothing unstored is acknowledged", async () => {
    const home = tempDir("cao-full-");
    const dbDir = path.join(home, "db");
    fs.mkdirSync(dbDir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dbDir]);
    mounts.push(dbDir);
    const server = await startServerProcess({ home, socket });
    const { client } = server;
    const terminal = await client.createSession({ provider: "mock", agent_profile: "developer", session_name: "full" });
    await client.sendToInbox(terminal.id, { sender_id: "0000aaaa", message: "stored before the disk filled" });

    const filler = fillUp(dbDir);
    const big = "x".repeat(60_000); // needs fresh pages in the WAL, whatever slack the file still has
    const refusals = [];
    for (let i = 0; i < 2; i++) {
      const res = (await server.client
        .request("POST", `/terminals/${terminal.id}/inbox/messages`, { sender_id: "0000aaaa", message: `${big} ${i}` })
        .catch((e: unknown) => e)) as { status?: number; detail?: string };
      refusals.push([res.status, typeof res.detail === "string" && /storage unavailable/.test(res.detail)]);
    }
    expect(refusals).toEqual([
      [503, true],
      [503, true],
    ]);

    const create = await client
      .createSession({ provider: "mock", agent_profile: "developer", session_name: "never" })
      .catch((e) => e);
    expect([create.status, /storage unavailable/.test(create.detail)]).toEqual([503, true]);
    expect(await new TmuxClient({ socketName: socket }).hasSession("cao-never")).toBe(false);

    const input = await client.sendInput(terminal.id, { message: `${big} typed?` }).catch((e) => e);
    expect(input.status).toBe(503);
    expect((await client.output(terminal.id, "full")).output).not.toContain("typed?");

    fs.rmSync(filler);
    const after = await client.sendToInbox(terminal.id, {
      sender_id: "0000aaaa",
      message: "stored after space came back",
    });
    expect(after.message_id).toBe(2); // ids handed out for refused messages would have been reused: none were
    await server.stop();
    const db = new Database(path.join(dbDir, "cao.db"), { readonly: true });
    expect(db.prepare("SELECT id, message FROM inbox ORDER BY id").all()).toEqual([
      { id: 1, message: "stored before the disk filled" },
      { id: 2, message: "stored after space came back" },
    ]);
    expect(db.prepare("SELECT session_name FROM terminals").all()).toEqual([{ session_name: "cao-full" }]);
    db.close();
  });
});

it("a database file deleted while the server runs is detected (WARN) and restored, so a restart forgets nothing", async () => {
  const home = tempDir("cao-deleted-");
  const server = await startServerProcess({ home, socket });
  const terminal = await server.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "deleted",
  });
  await server.client.sendToInbox(terminal.id, { sender_id: "0000aaaa", message: "before the deletion" });
  const dbFile = path.join(home, "db", "cao.db");
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(dbFile + suffix, { force: true });

  await waitFor(() => server.warnings().some((w) => w.msg.includes("is restored")), 10_000, "the restore WARN");
  expect(server.warnings().map((w) => w.msg)).toEqual([
    `the database file ${dbFile} was deleted or replaced while cao-server was running; restoring it from the open database`,
    `the database file ${dbFile} is restored`,
  ]);
  await server.client.sendToInbox(terminal.id, { sender_id: "0000aaaa", message: "after the deletion" });
  expect(await server.stop()).toBe(0);

  const again = await startServerProcess({ home, socket, port: server.port });
  expect((await again.client.getTerminal(terminal.id)).session_name).toBe("cao-deleted");
  const messages = await again.client.request<{ message: string }[]>("GET", `/terminals/${terminal.id}/inbox/messages`);
  expect(messages.map((m) => m.message)).toEqual(["before the deletion", "after the deletion"]);
  await again.stop();
});

/**
 * `cao server` as a command bound by file modes, as a user is. Root ignores them through two capabilities, so under
 * root the server runs without those (setpriv drops them from its bounding set: no exec gives them back), still as
 * root. Running it as another user (nobody) instead failed wherever that user cannot reach the checkout (a clone under
 * /root or a 0700 `mktemp -d`): node could not even read dist/cli/main.js.
 */
function serverBoundByFileModes(): { command: string; args: string[] } {
  const server = [CAO_MAIN, "server", "--no-watch"];
  if (process.getuid?.() !== 0) return { command: process.execPath, args: server };
  return {
    command: "setpriv",
    args: ["--bounding-set=-dac_override,-dac_read_search", "--", process.execPath, ...server],
  };
}

it("a read-only database at start: cao server exits 1 with one clear line, no stack", async () => {
  const home = tempDir("cao-readonly-");
  const dbFile = path.join(home, "db", "cao.db");
  fs.mkdirSync(path.dirname(dbFile));
  new Database(dbFile).close();
  fs.chmodSync(dbFile, 0o444);
  fs.chmodSync(path.dirname(dbFile), 0o555);
  const { command, args } = serverBoundByFileModes();
  const child = spawnSync(command, args, {
    env: { ...process.env, CAO_HOME: home, HOME: home, CAO_API_PORT: "0", CAO_TMUX_SOCKET: `${socket}-ro` },
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(child.error, `${command} could not be run (under root, setpriv from util-linux is needed)`).toBeUndefined();
  expect(child.status).toBe(1);
  expect(child.stderr).toMatch(
    new RegExp(`^cao server: storage unavailable while opening ${dbFile}: .*readonly.*check that CAO_HOME`),
  );
  expect(child.stderr.trim().split("\n")).toHaveLength(1);
});
