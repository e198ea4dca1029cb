/**
 * Nothing accepted is lost: inbox messages pending for a busy agent survive cao-server being killed with SIGKILL,
 * and the restarted server delivers each exactly once, in order. The server runs as a real child process
 * (`cao server`), the agent in real tmux, and the state in a real SQLite file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { CaoClient } from "../src/client/http-client.js";
import { TmuxClient } from "../src/clients/tmux.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function startServer(port: number): Promise<{ child: ChildProcess; client: CaoClient }> {
  const child = spawn(process.execPath, [path.resolve("dist/cli/main.js"), "server", "--no-watch"], {
    env: { ...process.env, CAO_HOME: home, CAO_API_PORT: String(port), CAO_TMUX_SOCKET: socket, CAO_MOCK_DELAY_MS: "300", CAO_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  const client = new CaoClient({ baseUrl: `http://127.0.0.1:${port}` });
  await waitFor(async () => (await client.health().catch(() => undefined))?.status === "ok", 20_000, "cao-server to answer");
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
  const terminal = await first.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "durable" });
  await first.client.sendInput(terminal.id, { message: "[[delay=5000]] busy for a while" });
  await waitFor(async () => (await first.client.getTerminal(terminal.id)).status === "processing", 10_000, "the agent to be busy");
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
    async () => (await second.client.request<unknown[]>("GET", `/terminals/${terminal.id}/inbox/messages`, undefined, { status: "delivered" })).length === 3,
    30_000,
    "all three messages delivered",
  );
  const screen = (await second.client.output(terminal.id, "full")).output;
  const positions = texts.map((text) => screen.indexOf(`mock> ${text}`));
  for (const text of texts) expect(screen.split(`mock> ${text}`).length - 1, text).toBe(1);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(positions.every((p) => p > 0)).toBe(true);

  second.child.kill("SIGTERM"); // a clean stop drains plugin queues, so the journal is complete
  await new Promise((resolve) => second.child.once("exit", resolve));
  const journal = fs.readFileSync(eventsFile, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, string>);
  expect(journal.map((e) => [e.event_type, e.orchestration_type, e.message, e.receiver])).toEqual(
    texts.map((text) => ["message_sent", "send_message", text, terminal.id]),
  );
});
