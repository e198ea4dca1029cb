/**
 * docs/contract.md#events, the rest: plugin lifecycle events from real drop-ins (loaded, failed, reloaded, unloaded, through real
 * chokidar and jiti), the stream's keep-alive comments, and `cao events` (history and --follow across a real server
 * restart) as a real child process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { definePlugin, type CaoEvent, type PluginLoadedEvent } from "../src/plugins/api/index.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { CAO_MAIN, startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { openSse, type SseClient } from "./helpers/sse.js";
import { waitFor } from "./helpers/wait.js";

const inProcess: TestServer[] = [];
const streams: SseClient[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const server of inProcess.splice(0)) await server.close();
  await stopServerProcesses();
  await stopRegistries();
});
afterAll(() => removeTempDirs());
// Each test drives real agents through a real server: generous on a loaded two-core machine (no timing is asserted).
vi.setConfig({ testTimeout: 90_000 });

const PLUGIN_EVENTS = "plugin_loaded,plugin_reloaded,plugin_unloaded,plugin_failed";

/** A drop-in that appends every plugin_* event it hears to `file` as JSON lines. */
function listener(file: string): string {
  const record = `(e: any) => { fs.appendFileSync(${JSON.stringify(file)}, JSON.stringify(e) + "\\n"); }`;
  return `import fs from "node:fs";
import { definePlugin } from "cli-agent-orchestrator/plugins";
const record = ${record};
export default definePlugin({ hooks: { plugin_loaded: record, plugin_reloaded: record, plugin_unloaded: record, plugin_failed: record } });`;
}

const version = (n: number) => `import { definePlugin } from "cli-agent-orchestrator/plugins";
export default definePlugin({ hooks: { session_created() { return ${n}; } } });`;

describe("plugin lifecycle events", () => {
  it("start-up loaded/failed reach every plugin once all setups finished; a drop-in added, changed, broken and deleted gives loaded, reloaded, failed, unloaded", async () => {
    const heard = path.join(tempDir("cao-heard-"), "heard.jsonl");
    const test = await startTestServer({
      plugins: { "listener.ts": listener(heard), "broken.ts": `export default 42;` },
      server: { watch: true, plugins: { reloadDebounceMs: 200 } },
    });
    inProcess.push(test);
    const history = async () =>
      (await test.http("GET", `/events/history?since=0&types=${PLUGIN_EVENTS}`)).body as any[];
    const startup = await history();
    expect(startup.map((e) => [e.event_type, e.plugin, e.source])).toEqual(
      expect.arrayContaining([
        ["plugin_loaded", "listener", "dir"],
        ["plugin_failed", "broken", "dir"],
      ]),
    );
    expect(startup).toHaveLength(2);
    expect(startup.find((e) => e.plugin === "broken").error).toContain("its export is not a plugin");
    expect(startup.find((e) => e.plugin === "listener")).toMatchObject({ version: null, session_id: null });
    expect(startup.find((e) => e.plugin === "listener").error).toBeUndefined();
    // The listener heard both, its own loading included: they were dispatched after every setup had finished.
    await waitFor(
      () => fs.existsSync(heard) && fs.readFileSync(heard, "utf8").trim().split("\n").length >= 2,
      10_000,
      "the listener to hear start-up",
    );
    const heardTypes = () =>
      fs
        .readFileSync(heard, "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const e = JSON.parse(line);
          return `${e.event_type}:${e.plugin}`;
        });
    expect(heardTypes().sort()).toEqual(["plugin_failed:broken", "plugin_loaded:listener"]);

    const dir = path.join(test.home, "plugins");
    const file = path.join(dir, "extra.ts");
    // An editor's save can reach the watcher as two changes; a second reload of the same content is a true
    // plugin_reloaded too, so the sequence is compared with repeats folded.
    const sequence = async (last: string) => {
      await waitFor(
        async () => (await history()).filter((e) => e.plugin === "extra").at(-1)?.event_type === last,
        15_000,
        `${last} of extra`,
      );
      const rows = (await history()).filter((e) => e.plugin === "extra").map((e) => e.event_type as string);
      return rows.filter((type, i) => type !== rows[i - 1]);
    };
    writeFile(file, version(1));
    expect(await sequence("plugin_loaded")).toEqual(["plugin_loaded"]);
    writeFile(file, version(2));
    expect(await sequence("plugin_reloaded")).toEqual(["plugin_loaded", "plugin_reloaded"]);
    writeFile(file, `export default {`);
    expect(await sequence("plugin_failed")).toEqual(["plugin_loaded", "plugin_reloaded", "plugin_failed"]);
    expect((await history()).at(-1).error).toContain("not reloaded, the running version stays");
    expect((await test.http("GET", "/plugins")).body.find((p: any) => p.name === "extra").status).toBe("active");
    fs.rmSync(file);
    expect(await sequence("plugin_unloaded")).toEqual([
      "plugin_loaded",
      "plugin_reloaded",
      "plugin_failed",
      "plugin_unloaded",
    ]);
    const journaled = (await history()).length;
    await waitFor(() => heardTypes().length === journaled, 10_000, "the listener to hear every plugin event");
    expect(heardTypes()).toEqual((await history()).map((e) => `${e.event_type}:${e.plugin}`));
  }, 60_000);
});

describe("plugin lifecycle events at shutdown", () => {
  /** A drop-in that appends `<event_type>:<plugin>` for every plugin_* event it hears, then `teardown`, to `file`. */
  const witness = (file: string) => `import fs from "node:fs";
import { definePlugin } from "cli-agent-orchestrator/plugins";
const note = (line: string) => fs.appendFileSync(${JSON.stringify(file)}, line + "\\n");
const record = (e: any) => note(e.eventType + ":" + e.plugin);
export default definePlugin({
  hooks: { plugin_loaded: record, plugin_reloaded: record, plugin_unloaded: record, plugin_failed: record },
  teardown() { note("teardown"); },
});`;

  it("SIGTERM unloads every loaded plugin: plugin_unloaded is journaled for each, and each plugin heard the others go before its teardown", async () => {
    const home = tempDir("cao-shutdown-");
    const heard = (name: string) =>
      fs
        .readFileSync(path.join(home, `${name}.heard`), "utf8")
        .trim()
        .split("\n");
    const first = await startServerProcess({
      home,
      plugins: {
        "alpha.ts": witness(path.join(home, "alpha.heard")),
        "beta.ts": witness(path.join(home, "beta.heard")),
        "broken.ts": `export default 42;`,
      },
    });
    expect(await first.stop("SIGTERM")).toBe(0);
    const second = await startServerProcess({ home, socket: first.socket });
    const history = (await second.http("GET", `/events/history?since=0&types=${PLUGIN_EVENTS}`)).body as any[];
    const lines = history.map((e) => `${e.event_type}:${e.plugin}`);
    const startUp = ["plugin_failed:broken", "plugin_loaded:alpha", "plugin_loaded:beta"];
    // First run: its start-up, then one plugin_unloaded per plugin that was loaded (none for the failed one); then
    // the second run's start-up.
    expect(lines.slice(0, 3).sort(), lines.join(", ")).toEqual(startUp);
    expect(lines.slice(3, 5).sort(), lines.join(", ")).toEqual(["plugin_unloaded:alpha", "plugin_unloaded:beta"]);
    expect(lines.slice(5).sort(), lines.join(", ")).toEqual(startUp);
    // Each plugin heard the first run's lifecycle events in journal order, the unloads included, before its teardown.
    const firstRun = [...lines.slice(0, 5), "teardown"];
    expect(heard("alpha").slice(0, 6)).toEqual(firstRun);
    expect(heard("beta").slice(0, 6)).toEqual(firstRun);
  }, 90_000);
});

describe("plugin lifecycle events of registry.add() and remove()", () => {
  it("add gives plugin_loaded (or plugin_failed), remove gives plugin_unloaded after teardown; a registry without a journal hears its own", async () => {
    const { registry } = await startRegistry();
    const heard: string[] = [];
    const record = (e: CaoEvent) => void heard.push(`${e.eventType}:${(e as PluginLoadedEvent).plugin}`);
    await registry.add(
      "watcher",
      definePlugin({ hooks: { plugin_loaded: record, plugin_unloaded: record, plugin_failed: record } }),
    );
    await registry.add(
      "other",
      definePlugin({
        hooks: { session_created() {} },
        teardown() {
          heard.push("teardown:other");
        },
      }),
    );
    await registry.add(
      "bad",
      definePlugin({
        hooks: { session_created() {} },
        setup() {
          throw new Error("nope");
        },
      }),
    );
    await registry.remove("other");
    await registry.drain(2000);
    expect(heard.filter((h) => h.startsWith("plugin_"))).toEqual([
      "plugin_loaded:watcher",
      "plugin_loaded:other",
      "plugin_failed:bad",
      "plugin_unloaded:other",
    ]);
    expect(heard).toContain("teardown:other");
  });
});

describe("the stream's keep-alive", () => {
  it("sends a comment line every keep-alive period on an idle stream", async () => {
    const test = await startTestServer({ server: { events: { keepAliveMs: 100 } } });
    inProcess.push(test);
    const stream = await openSse(test.url, "/events");
    streams.push(stream);
    await waitFor(
      () => stream.comments.filter((c) => c === "keep-alive").length >= 3,
      5000,
      "three keep-alive comments",
    );
    expect(stream.events).toEqual([]);
    // Server shutdown ends open streams instead of waiting for their clients.
    await test.close();
    inProcess.splice(0);
    await stream.ended;
  });
});

/** `cao events …` as a child process; lines of stdout as they come. */
function caoEvents(server: ServerProcess, args: string[]) {
  const child = spawn(process.execPath, [CAO_MAIN, "events", ...args], {
    env: { ...process.env, CAO_API_PORT: String(server.port), CAO_API_HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const parts = partial.split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

async function postInbox(server: ServerProcess, receiver: string, messages: string[]): Promise<void> {
  for (const message of messages) {
    const { status } = await server.http("POST", `/terminals/${receiver}/inbox/messages`, {
      sender_id: "5e4de401",
      message,
    });
    expect(status).toBe(200);
  }
}

describe("cao events", () => {
  it("prints the newest events (text or --json, --type filters); bad input is a clear error", async () => {
    const server = await startServerProcess();
    const { body: terminal } = await server.http("POST", "/sessions?provider=mock&agent_profile=developer");
    await server.http("POST", `/terminals/${terminal.id}/input`, { message: "[[delay=30000]] busy" });
    await waitFor(async () => (await server.client.getTerminal(terminal.id)).status === "processing", 10_000, "busy");
    await postInbox(server, terminal.id, ["first one", "second"]);
    const all = (await server.http("GET", "/events/history?since=0")).body as any[];

    const text = caoEvents(server, []);
    expect(await text.exited).toBe(0);
    // The agent may still change status meanwhile: cao events prints what history held then, in seq order.
    const after = (await server.http("GET", "/events/history?since=0")).body as any[];
    expect(text.lines.length).toBeGreaterThanOrEqual(all.length);
    expect(text.lines.map((line) => Number(/^#(\d+) /.exec(line)?.[1]))).toEqual(
      after.slice(0, text.lines.length).map((e) => e.seq),
    );
    expect(text.lines[0]).toMatch(new RegExp(`^#${all[0].seq} \\S+Z ${all[0].event_type} ${all[0].session_id} `));
    const queuedLines = text.lines.filter((line) => line.includes(" inbox_message_queued "));
    expect(queuedLines).toHaveLength(2);
    expect(queuedLines[0]).toContain(`inbox_message_queued ${terminal.session_name} message_id=`);
    expect(queuedLines[0]).toMatch(/ message="first one"$/); // a value with spaces is quoted
    expect(queuedLines[1]).toMatch(/ message=second$/);

    const json = caoEvents(server, ["--json", "--type", "inbox_message_queued", "--since", "0"]);
    expect(await json.exited).toBe(0);
    expect(json.lines.map((line) => JSON.parse(line).message)).toEqual(["first one", "second"]);

    const bad = caoEvents(server, ["--type", "nope"]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toContain("unknown event types nope");
    const badSince = caoEvents(server, ["--since", "x"]);
    expect(await badSince.exited).toBe(2);
    expect(badSince.stderr()).toContain("--since must be an event seq");
  }, 60_000);

  it("--follow streams live and resumes across a server restart: every event once, in seq order; Ctrl-C ends it cleanly", async () => {
    const first = await startServerProcess();
    const { body: terminal } = await first.http("POST", "/sessions?provider=mock&agent_profile=developer");
    await first.http("POST", `/terminals/${terminal.id}/input`, { message: "[[delay=60000]] busy" });
    await waitFor(async () => (await first.client.getTerminal(terminal.id)).status === "processing", 10_000, "busy");

    const follow = caoEvents(first, ["--follow", "--json", "--since", "0"]);
    await postInbox(first, terminal.id, ["one", "two"]);
    const messages = () =>
      follow.lines
        .map((line) => JSON.parse(line))
        .filter((e) => e.event_type === "inbox_message_queued")
        .map((e) => e.message);
    await waitFor(() => messages().length === 2, 15_000, "two messages followed");

    expect(await first.stop()).toBe(0);
    const second = await startServerProcess({ home: first.home, socket: first.socket, port: first.port });
    await postInbox(second, terminal.id, ["three", "four"]);
    await waitFor(() => messages().length === 4, 20_000, "the follower to resume");
    await postInbox(second, terminal.id, ["five"]);
    await waitFor(() => messages().length === 5, 15_000, "a live event after the resume");

    const printed = follow.lines.map((line) => JSON.parse(line));
    const journal = (await second.http("GET", "/events/history?since=0&limit=1000")).body as any[];
    await waitFor(
      () => printed.length <= follow.lines.length && follow.lines.length >= journal.length,
      10_000,
      "every journaled event printed",
    );
    expect(follow.lines.map((line) => JSON.parse(line).seq)).toEqual(journal.map((e) => e.seq));
    expect(messages()).toEqual(["one", "two", "three", "four", "five"]);
    expect(follow.stderr()).toContain("reconnect");

    follow.child.kill("SIGINT");
    expect(await follow.exited).toBe(0);
  }, 90_000);
});
