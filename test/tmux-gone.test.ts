/**
 * tmux gone: `tmux kill-server` under a running cao-server (a real `cao server` child process, real tmux, the mock
 * agent). The server must survive it, forget what vanished (with the events the start-up reconcile gives), and let a
 * session of the same name be created again without adopting the dead terminals.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startServerProcess, stopServerProcesses } from "./helpers/server-process.js";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

afterEach(async () => {
  await stopServerProcesses();
});

afterAll(() => {
  removeTempDirs();
});

// Longer than a pipe's 64 KB buffer: tmux that finds no server exits before reading it all, so the rest of the
// write meets a closed pipe (EPIPE) — the race that crashed the server, made likely instead of 1 in 3.
const BIG = "x".repeat(90_000);

it("tmux gone: kill-server, then input and exit to its terminals, never crashes the server (EPIPE on tmux's stdin)", async () => {
  const server = await startServerProcess();
  for (let round = 0; round < 4; round++) {
    const terminal = await server.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: `gone-${round}`,
    });
    server.tmux("kill-server");
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => server.http("POST", `/terminals/${terminal.id}/input`, { message: BIG })),
      ...Array.from({ length: 3 }, () => server.http("POST", `/terminals/${terminal.id}/exit`)),
    ]);
    for (const answer of answers) {
      // Status 0: the connection failed, i.e. the server died under the request.
      expect(
        answer.status,
        `round ${round}: ${JSON.stringify(answer.body)}; output: ${server.output()}`,
      ).toBeGreaterThanOrEqual(400);
      expect(answer.status).not.toBe(500);
      expect(typeof answer.body?.detail).toBe("string");
    }
  }
  expect((await server.client.health()).status).toBe("ok");
  expect(server.child.exitCode).toBeNull();
  expect(server.output()).not.toMatch(/EPIPE|uncaught/i);
});

/** A drop-in that appends every V1 event it hears to `file`, one JSON line each (the child server runs it). */
function journalPlugin(file: string): string {
  return `import fs from "node:fs";
const write = (e) => fs.appendFileSync(${JSON.stringify(file)}, JSON.stringify(e) + "\\n");
export default { hooks: { session_created: write, session_killed: write, terminal_created: write, terminal_killed: write } };`;
}

function readJournal(file: string): Record<string, string>[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, string>)
    : [];
}

it("tmux gone: after kill-server the liveness check forgets its sessions within seconds (no request needed): GET /sessions empty, terminals 404, inbox failed, plugins hear terminal_killed and session_killed", async () => {
  const journal = path.join(tempDir("cao-journal-"), "events.jsonl");
  const server = await startServerProcess({ plugins: { "journal.mjs": journalPlugin(journal) } });
  const a = await server.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "ghost" });
  const b = await server.client.createTerminal(a.session_name, { provider: "mock", agent_profile: "reviewer" });
  await server.client.sendInput(a.id, { message: "[[delay=60000]] busy" });
  await waitFor(async () => (await server.client.getTerminal(a.id)).status === "processing", 10_000, "a to be busy");
  await server.client.sendToInbox(a.id, { sender_id: b.id, message: "for a, whose tmux is about to vanish" });
  const created = readJournal(journal).length;

  server.tmux("kill-server");
  // No request: the periodic check alone must notice.
  await waitFor(() => readJournal(journal).length >= created + 3, 15_000, "terminal_killed ×2 and session_killed");
  expect(
    readJournal(journal)
      .slice(created)
      .map((e) => [e.event_type, e.terminal_id ?? e.session_name]),
  ).toEqual([
    ["terminal_killed", a.id],
    ["terminal_killed", b.id],
    ["session_killed", "cao-ghost"],
  ]);
  expect((await server.http("GET", "/sessions")).body).toEqual([]);
  for (const id of [a.id, b.id]) {
    const gone = await server.http("GET", `/terminals/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toMatch(/not found/);
  }
  const db = new Database(path.join(server.home, "db", "cao.db"), { readonly: true });
  try {
    expect(db.prepare("SELECT status, error FROM inbox WHERE receiver_id = ?").all(a.id)).toEqual([
      { status: "failed", error: "its tmux session vanished (was the tmux server killed?)" },
    ]);
    expect(db.prepare("SELECT count(*) AS n FROM terminals").get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
  expect(server.child.exitCode).toBeNull();
});

describe("with the liveness check out of the way (a tmux call must notice)", () => {
  const KEY = "tmux-gone-inproc";
  let t: TestServer;
  const events = (): Received[] => sink(KEY);

  beforeAll(async () => {
    t = await startTestServer({
      plugins: { "recorder.ts": recorderSource(KEY, "recorder") },
      server: { livenessMs: 3_600_000 },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("tmux gone: re-creating a session of the same name forgets its dead terminals first (with events) instead of adopting them", async () => {
    const old = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "again" });
    await t.server.registry.drain(5000);
    const mark = events().length;
    await t.server.tmux.killServer();
    const fresh = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "again" });
    expect(fresh.id).not.toBe(old.id);
    expect((await t.client.request<{ id: string }[]>("GET", "/sessions/cao-again/terminals")).map((x) => x.id)).toEqual(
      [fresh.id],
    );
    expect((await t.http("GET", `/terminals/${old.id}`)).status).toBe(404);
    await t.server.registry.drain(5000);
    expect(
      events()
        .slice(mark)
        .map((e) => [e.eventType, e.fields.terminalId ?? e.fields.sessionName]),
    ).toEqual([
      ["terminal_killed", old.id],
      ["session_killed", "cao-again"],
      ["terminal_created", fresh.id],
      ["session_created", "cao-again"],
    ]);
    await t.client.deleteSession("cao-again");
  });

  it("tmux gone: a session still on record whose tmux session vanished can be deleted (success, with events); then it is neither listed nor found", async () => {
    const a = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "vanishing" });
    const keep = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "keeper" });
    await t.server.registry.drain(5000);
    const mark = events().length;
    await t.server.tmux.killSession("cao-vanishing"); // behind the server's back
    expect(await t.http("DELETE", "/sessions/cao-vanishing")).toEqual({ status: 200, body: { success: true } });
    await t.server.registry.drain(5000);
    expect(
      events()
        .slice(mark)
        .map((e) => [e.eventType, e.fields.terminalId ?? e.fields.sessionName]),
    ).toEqual([
      ["terminal_killed", a.id],
      ["session_killed", "cao-vanishing"],
    ]);
    expect((await t.client.listSessions()).map((s) => s.name)).toEqual(["cao-keeper"]);
    expect((await t.http("DELETE", "/sessions/cao-vanishing")).status).toBe(404);
    expect((await t.http("GET", `/terminals/${a.id}`)).status).toBe(404);
    expect((await t.client.getTerminal(keep.id)).status).toBe("idle");
    await t.client.deleteSession("cao-keeper");
  });

  it("tmux gone: GET of a terminal whose window vanished answers 404 and forgets it (terminal_killed), its session lists only the rest", async () => {
    const a = await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "halved" });
    const b = await t.client.createTerminal(a.session_name, { provider: "mock", agent_profile: "reviewer" });
    await t.server.registry.drain(5000);
    const mark = events().length;
    await t.server.tmux.killWindow("cao-halved", b.name);
    const gone = await t.http("GET", `/terminals/${b.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toBe(`terminal ${b.id} is gone: its tmux window vanished`);
    expect(
      (await t.client.request<{ id: string }[]>("GET", "/sessions/cao-halved/terminals")).map((x) => x.id),
    ).toEqual([a.id]);
    await t.server.registry.drain(5000);
    expect(
      events()
        .slice(mark)
        .map((e) => [e.eventType, e.fields.terminalId]),
    ).toEqual([["terminal_killed", b.id]]);
    await t.client.deleteSession("cao-halved");
  });
});
