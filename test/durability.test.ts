/**
 * Nothing accepted is lost: inbox messages pending for a busy agent survive cao-server being killed with SIGKILL,
 * and the restarted server delivers each exactly once, in order. The server runs as a real child process
 * (`cao server`), the agent in real tmux, and the state in a real SQLite file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { CaoClient } from "../src/clients/api-client.js";
import { TmuxClient } from "../src/clients/tmux.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

const home = tempDir("cao-durable-");
const socket = `cao-durable-${process.pid}`;
const eventsFile = path.join(home, "events.jsonl");
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await new TmuxClient({ socketName: socket }).killServer();
  removeTempDirs();
});

async function startServer(port: number): Promise<{ child: ChildProcess; client: CaoClient }> {
  const child = spawn(process.execPath, [path.resolve("dist/cli/main.js"), "server", "--no-watch"], {
    env: {
      ...process.env,
      CAO_HOME: home,
      CAO_API_PORT: String(port),
      CAO_TMUX_SOCKET: socket,
      CAO_MOCK_DELAY_MS: "300",
      CAO_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  const client = new CaoClient({ baseUrl: `http://127.0.0.1:${port}` });
  await waitFor(
    async () => (await client.health().catch(() => undefined))?.status === "ok",
    20_000,
    "cao-server to answer",
  );
  return { child, client };
}

it("pending inbox messages survive SIGKILL and are delivered exactly once, in order, after restart", async () => {
  writeFile(
    path.join(home, "plugins", "journal.mjs"),
    `import fs from "node:fs";
     export default { hooks: { message_sent(e) { fs.appendFileSync(${JSON.stringify(eventsFile)}, JSON.stringify(e) + "\\n"); } } };`,
  );
  const port = await freePort();
  const first = await startServer(port);
  const terminal = await first.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "durable",
  });
  await first.client.sendInput(terminal.id, { message: "[[delay=5000]] busy for a while" });
  await waitFor(
    async () => (await first.client.getTerminal(terminal.id)).status === "processing",
    10_000,
    "the agent to be busy",
  );
  const texts = ["durable message one", "durable message two", "durable message three"];
  for (const text of texts) await first.client.sendToInbox(terminal.id, { sender_id: "0000aaaa", message: text });

  first.child.kill("SIGKILL");
  await new Promise((resolve) => first.child.once("exit", resolve));
  const db = new Database(path.join(home, "db", "cao.db"), { readonly: true });
  const stored = db.prepare("SELECT message, status FROM inbox ORDER BY id").all();
  db.close();
  expect(stored).toEqual(texts.map((message) => ({ message, status: "pending" })));

  const second = await startServer(port);
  await waitFor(
    async () =>
      (
        await second.client.request<unknown[]>("GET", `/terminals/${terminal.id}/inbox/messages`, undefined, {
          status: "delivered",
        })
      ).length === 3,
    30_000,
    "all three messages delivered",
  );
  // Delivered means pasted into the pane; the agent echoes the last one a moment later.
  let screen = "";
  await waitFor(
    async () => (screen = (await second.client.output(terminal.id, "full")).output).includes(`mock> ${texts.at(-1)}`),
    5000,
    "the last message on the screen",
  );
  const positions = texts.map((text) => screen.indexOf(`mock> ${text}`));
  for (const text of texts) expect(screen.split(`mock> ${text}`).length - 1, text).toBe(1);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(positions.every((p) => p > 0)).toBe(true);

  second.child.kill("SIGTERM"); // a clean stop drains plugin queues, so the journal is complete
  await new Promise((resolve) => second.child.once("exit", resolve));
  const journal = fs
    .readFileSync(eventsFile, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, string>);
  expect(journal.map((e) => [e.event_type, e.orchestration_type, e.message, e.receiver])).toEqual(
    texts.map((text) => ["message_sent", "send_message", text, terminal.id]),
  );
});

it("terminals whose tmux windows vanished while the server was down are forgotten at start-up, with events", async () => {
  const lifecycleFile = path.join(home, "lifecycle.jsonl");
  writeFile(
    path.join(home, "plugins", "lifecycle.mjs"),
    `import fs from "node:fs";
     const write = (e) => fs.appendFileSync(${JSON.stringify(lifecycleFile)}, JSON.stringify(e) + "\\n");
     export default { hooks: { terminal_killed: write, session_killed: write } };`,
  );
  const events = () =>
    fs.existsSync(lifecycleFile)
      ? fs
          .readFileSync(lifecycleFile, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as Record<string, string>)
      : [];
  const port = await freePort();
  const first = await startServer(port);
  const a = await first.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "reconcile",
  });
  const b = await first.client.createTerminal(a.session_name, { provider: "mock", agent_profile: "reviewer" });
  await first.client.sendInput(a.id, { message: "[[delay=5000]] busy" });
  await waitFor(async () => (await first.client.getTerminal(a.id)).status === "processing", 10_000, "a to be busy");
  await first.client.sendToInbox(a.id, { sender_id: b.id, message: "for a, who will not be there" });
  first.child.kill("SIGKILL");
  await new Promise((resolve) => first.child.once("exit", resolve));

  // While the server is down, a's window goes away (as after a crash of that agent's shell).
  const tmux = new TmuxClient({ socketName: socket });
  const windowOfA = a.name;
  await tmux.killWindow(a.session_name, windowOfA);

  const second = await startServer(port);
  await waitFor(() => events().length >= 1, 5000, "terminal_killed for a");
  expect(events().map((e) => [e.event_type, e.terminal_id ?? e.session_name])).toEqual([["terminal_killed", a.id]]);
  expect(
    (await second.client.request<{ id: string }[]>("GET", `/sessions/${a.session_name}/terminals`)).map((t) => t.id),
  ).toEqual([b.id]);
  const db = new Database(path.join(home, "db", "cao.db"), { readonly: true });
  expect(db.prepare("SELECT status, error FROM inbox WHERE receiver_id = ?").all(a.id)).toEqual([
    { status: "failed", error: "its tmux window was gone when cao-server started" },
  ]);
  db.close();
  second.child.kill("SIGKILL");
  await new Promise((resolve) => second.child.once("exit", resolve));

  // Now the whole session goes: its last terminal is forgotten and the session reported killed; the first test's
  // session, still alive in the same tmux server, is left alone.
  await tmux.killSession(a.session_name);
  const third = await startServer(port);
  await waitFor(() => events().length >= 3, 5000, "terminal_killed for b and session_killed");
  expect(
    events()
      .slice(1)
      .map((e) => [e.event_type, e.terminal_id ?? e.session_name]),
  ).toEqual([
    ["terminal_killed", b.id],
    ["session_killed", a.session_name],
  ]);
  expect((await third.client.listSessions()).map((s) => s.name)).toEqual(["cao-durable"]);
  third.child.kill("SIGTERM");
  await new Promise((resolve) => third.child.once("exit", resolve));
  expect(events()).toHaveLength(3); // after a clean stop drained the plugins: nothing else was forgotten
});
