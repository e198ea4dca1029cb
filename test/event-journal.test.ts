/**
 * docs/contract.md#events against real `cao server` children (real tmux, the mock agent, a real SQLite file): the new events,
 * the journal's history route with its filters and retention, and the SSE stream (replay then live without gap or
 * duplicate, across a server restart; a stalled client under a burst).
 */
import net from "node:net";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { rawRequest } from "./helpers/raw-http.js";
import { EVENT_CLASSES, EVENT_TYPES, InboxMessageQueuedEvent, type CaoEvent } from "../src/plugins/api/events.js";
import { startServerProcess, stopServerProcesses, type ServerProcess } from "./helpers/server-process.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { openSse, type SseClient } from "./helpers/sse.js";
import { waitFor } from "./helpers/wait.js";

const streams: SseClient[] = [];
const inProcess: TestServer[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const server of inProcess.splice(0)) await server.close();
  await stopServerProcesses();
});
afterAll(() => removeTempDirs());
// Each test drives real agents through a real server: generous on a loaded two-core machine (no timing is asserted).
vi.setConfig({ testTimeout: 90_000 });

async function history(server: ServerProcess, query = ""): Promise<any[]> {
  const { status, body } = await server.http("GET", `/events/history${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function sse(server: ServerProcess, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(server.url, path, headers);
  streams.push(client);
  return client;
}

async function session(server: ServerProcess): Promise<{ id: string; session_name: string }> {
  const { status, body } = await server.http("POST", "/sessions?provider=mock&agent_profile=developer");
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

/** Posts `count` inbox messages (each one inbox_message_queued), `parallel` at a time. */
async function postMany(
  server: ServerProcess,
  receiver: string,
  count: number,
  message: (i: number) => string,
  parallel = 8,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const { status, body } = await server.http("POST", `/terminals/${receiver}/inbox/messages`, {
          sender_id: "5e4de401",
          message: message(i),
        });
        expect(status, JSON.stringify(body)).toBe(200);
      }
    }),
  );
}

/** Makes the mock agent busy for `ms` (a pending inbox message then waits). */
async function keepBusy(server: ServerProcess, terminal: string, ms: number): Promise<void> {
  const { status } = await server.http("POST", `/terminals/${terminal}/input`, {
    message: `[[delay=${ms}]] long task`,
  });
  expect(status).toBe(200);
  await waitFor(
    async () => (await server.client.getTerminal(terminal)).status === "processing",
    10_000,
    "the agent to be busy",
  );
}

const seqs = (events: { seq?: number; id?: number }[]) => events.map((e) => e.seq ?? e.id);

describe("new events (docs/contract.md#events)", () => {
  it("each is in EVENT_CLASSES with exactly events's fields in its JSON", () => {
    const at = new Date("2026-01-02T03:04:05.000Z");
    const base = { timestamp: at, sessionId: "cao-x" };
    const json = (type: keyof typeof EVENT_CLASSES, fields: Record<string, unknown>) => {
      const Class = EVENT_CLASSES[type] as unknown as new (f: Record<string, unknown>) => CaoEvent;
      const event = new Class({ ...base, ...fields });
      expect(Object.isFrozen(event)).toBe(true);
      return event.toJSON();
    };
    const common = { event_type: expect.any(String), timestamp: "2026-01-02T03:04:05.000Z", session_id: "cao-x" };
    expect(
      json("terminal_status_changed", {
        terminalId: "0a1b2c3d",
        agentName: "dev",
        previousStatus: "idle",
        status: "processing",
      }),
    ).toEqual({
      ...common,
      terminal_id: "0a1b2c3d",
      agent_name: "dev",
      previous_status: "idle",
      status: "processing",
    });
    expect(json("inbox_message_queued", { messageId: 7, sender: "s", receiver: "r", message: "m" })).toEqual({
      ...common,
      message_id: 7,
      sender: "s",
      receiver: "r",
      message: "m",
    });
    expect(json("inbox_message_delivered", { messageId: 7, sender: "s", receiver: "r" })).toEqual({
      ...common,
      message_id: 7,
      sender: "s",
      receiver: "r",
    });
    expect(json("inbox_message_failed", { messageId: 7, sender: "s", receiver: "r", reason: "gone" })).toEqual({
      ...common,
      message_id: 7,
      sender: "s",
      receiver: "r",
      reason: "gone",
    });
    for (const type of ["plugin_loaded", "plugin_reloaded", "plugin_unloaded"] as const) {
      expect(json(type, { plugin: "p", source: "npm", version: "1.2.3" })).toEqual({
        ...common,
        event_type: type,
        plugin: "p",
        source: "npm",
        version: "1.2.3",
      });
    }
    expect(json("plugin_failed", { plugin: "p", source: "dir", error: "boom" })).toEqual({
      ...common,
      plugin: "p",
      source: "dir",
      version: null,
      error: "boom",
    });
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining([
        "terminal_status_changed",
        "inbox_message_queued",
        "inbox_message_delivered",
        "inbox_message_failed",
        "plugin_loaded",
        "plugin_reloaded",
        "plugin_unloaded",
        "plugin_failed",
      ]),
    );
  });

  it("terminal_status_changed follows the mock agent's screen: idle → processing → completed, each change once", async () => {
    const server = await startServerProcess();
    const terminal = await session(server);
    const { status } = await server.http("POST", `/terminals/${terminal.id}/input`, { message: "[[delay=700]] think" });
    expect(status).toBe(200);
    await waitFor(
      async () => (await history(server, "?types=terminal_status_changed")).some((e) => e.status === "completed"),
      10_000,
      "the status to reach completed",
    );
    const changes = await history(server, "?types=terminal_status_changed");
    expect(changes.map((e) => [e.previous_status, e.status])).toEqual([
      ["idle", "processing"],
      ["processing", "completed"],
    ]);
    for (const change of changes) {
      expect(change).toMatchObject({
        event_type: "terminal_status_changed",
        terminal_id: terminal.id,
        agent_name: "developer",
        session_id: terminal.session_name,
      });
      expect(typeof change.timestamp).toBe("string");
    }
    // An agent asking the user is a status too; answering it moves on.
    await server.http("POST", `/terminals/${terminal.id}/input`, { message: "[[ask]] may I?" });
    await waitFor(
      async () =>
        (await history(server, "?types=terminal_status_changed")).some((e) => e.status === "waiting_user_answer"),
      10_000,
      "waiting_user_answer",
    );
  });

  it("inbox events: queued on accept, delivered before its message_sent, failed when the receiver is deleted", async () => {
    const server = await startServerProcess();
    const receiver = await session(server);
    const { status, body } = await server.http("POST", `/terminals/${receiver.id}/inbox/messages`, {
      sender_id: "5e4de401",
      message: "hello there",
    });
    expect(status).toBe(200);
    await waitFor(
      async () => (await history(server, "?types=message_sent")).length === 1,
      10_000,
      "the message to be typed",
    );
    const flow = (await history(server, "?types=inbox_message_queued,inbox_message_delivered,message_sent")).map(
      (e) => ({ ...e, timestamp: undefined }),
    );
    expect(flow.map((e) => e.event_type)).toEqual(["inbox_message_queued", "inbox_message_delivered", "message_sent"]);
    expect(flow[0]).toMatchObject({
      message_id: body.message_id,
      sender: "5e4de401",
      receiver: receiver.id,
      message: "hello there",
      session_id: receiver.session_name,
    });
    expect(flow[1]).toMatchObject({ message_id: body.message_id, sender: "5e4de401", receiver: receiver.id });
    expect(flow[2]).toMatchObject({
      sender: "5e4de401",
      receiver: receiver.id,
      message: "hello there",
      orchestration_type: "send_message",
    });

    // A message waiting for a busy receiver that is then deleted can never be delivered.
    await keepBusy(server, receiver.id, 20_000);
    const waiting = await server.http("POST", `/terminals/${receiver.id}/inbox/messages`, {
      sender_id: "5e4de401",
      message: "never typed",
    });
    expect((await server.http("DELETE", `/terminals/${receiver.id}`)).status).toBe(200);
    await waitFor(
      async () => (await history(server, "?types=inbox_message_failed")).length === 1,
      10_000,
      "inbox_message_failed",
    );
    const [failed] = await history(server, "?types=inbox_message_failed");
    expect(failed).toMatchObject({
      message_id: waiting.body.message_id,
      sender: "5e4de401",
      receiver: receiver.id,
      reason: "the receiving terminal was deleted",
    });
    expect(failed.message).toBeUndefined(); // events: messageId, sender, receiver, reason
  });
});

describe("the journal: GET /events/history", () => {
  it("filters by since, types and limit; refuses bad parameters with 400 and changes nothing", async () => {
    const server = await startServerProcess();
    const terminal = await session(server);
    await keepBusy(server, terminal.id, 30_000);
    // GET /terminals reads the screen itself; the monitor's event for the same change may land a moment later.
    // Once it is journaled, nothing else happens until the 30 s task ends, so `all` is all there is.
    await waitFor(
      async () =>
        (await history(server, "?types=terminal_status_changed&since=0")).some(
          (e) => e.terminal_id === terminal.id && e.status === "processing",
        ),
      15_000,
      "the status monitor's processing event",
    );
    await postMany(server, terminal.id, 20, (i) => `m${i}`);
    const all = await history(server, "?since=0&limit=1000");
    expect(seqs(all)).toEqual([...all.keys()].map((i) => i + 1)); // 1, 2, 3, … without a hole
    const queued = all.filter((e) => e.event_type === "inbox_message_queued");
    expect(queued.map((e) => e.message).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());

    // Without since: the newest `limit`, oldest first. With since: the first `limit` after it.
    expect(seqs(await history(server, "?limit=3"))).toEqual(seqs(all.slice(-3)));
    expect(seqs(await history(server))).toEqual(seqs(all.slice(-100)));
    expect(seqs(await history(server, `?since=${all[4].seq}&limit=2`))).toEqual(seqs(all.slice(5, 7)));
    expect(await history(server, `?since=${all.at(-1).seq}`)).toEqual([]);
    const onlyQueued = await history(server, `?types=inbox_message_queued&since=${queued[9].seq}&limit=5`);
    expect(seqs(onlyQueued)).toEqual(seqs(queued.slice(10, 15)));
    expect(seqs(await history(server, "?types=session_created, terminal_created&since=0"))).toEqual(
      seqs(all.filter((e) => e.event_type === "session_created" || e.event_type === "terminal_created")),
    );

    for (const [query, detail] of [
      ["?since=-1", "since must be an event seq"],
      ["?since=abc", "since must be an event seq"],
      ["?limit=0", "limit must be an integer from 1 to 1000"],
      ["?limit=1001", "limit must be an integer from 1 to 1000"],
      ["?types=nope", "unknown event types nope"],
      ["?types=,", "types must name at least one event type"],
    ] as const) {
      const answer = await server.http("GET", `/events/history${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.detail, query).toContain(detail);
    }
    expect(seqs(await history(server, "?since=0&limit=1000"))).toEqual(seqs(all));
  });

  it("keeps the last CAO_EVENT_RETENTION events; seq is never reused, across a restart on the same database", async () => {
    const first = await startServerProcess({ env: { CAO_EVENT_RETENTION: "10" } });
    const terminal = await session(first);
    await keepBusy(first, terminal.id, 30_000);
    await postMany(first, terminal.id, 25, (i) => `r${i}`, 1);
    const kept = await history(first, "?since=0&limit=1000");
    expect(kept).toHaveLength(10);
    const last = kept.at(-1).seq;
    expect(seqs(kept)).toEqual(Array.from({ length: 10 }, (_, i) => last - 9 + i));
    expect(kept.at(-1).message).toBe("r24");
    expect(await first.stop()).toBe(0);

    const second = await startServerProcess({
      home: first.home,
      socket: first.socket,
      port: first.port,
      env: { CAO_EVENT_RETENTION: "10" },
    });
    await postMany(second, terminal.id, 3, (i) => `after restart ${i}`, 1);
    const after = await history(second, "?since=0&limit=1000");
    expect(after).toHaveLength(10);
    const fresh = after.filter((e) => e.seq > last);
    expect(fresh.map((e) => e.message)).toEqual(["after restart 0", "after restart 1", "after restart 2"]);
    expect(seqs(after)).toEqual(Array.from({ length: 10 }, (_, i) => after.at(-1).seq - 9 + i));
  });

  it("a bad CAO_EVENT_RETENTION is a WARN and the default", async () => {
    const server = await startServerProcess({ env: { CAO_EVENT_RETENTION: "lots" } });
    expect(server.warnings().map((w) => w.msg)).toContainEqual(
      expect.stringContaining('CAO_EVENT_RETENTION must be a positive integer (events kept), got "lots"; using 100000'),
    );
  });
});

describe("the stream: GET /events (Server-Sent Events)", () => {
  it("replays from since, then streams live, with no gap or duplicate while events keep arriving during the switch", async () => {
    const server = await startServerProcess();
    const terminal = await session(server);
    await keepBusy(server, terminal.id, 60_000);
    await postMany(server, terminal.id, 50, (i) => `before ${i}`);
    // Clients connect at different moments of a steady flow of events: each switches from replay to live mid-flow.
    const flow = postMany(server, terminal.id, 300, (i) => `during ${i}`, 4);
    const clients: SseClient[] = [];
    for (let i = 0; i < 5; i++) {
      clients.push(await sse(server, "/events?since=0"));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const live = await sse(server, "/events"); // no since: from now
    await flow;
    const all = await history(server, "?since=0&limit=1000");
    for (const client of clients) {
      expect(client.status).toBe(200);
      expect(client.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      await client.waitForEvents(all.length);
      expect(client.events.map((e) => e.id)).toEqual(seqs(all));
      expect(client.events.map((e) => e.data)).toEqual(all);
      expect(client.events.map((e) => e.event)).toEqual(all.map((e) => e.event_type));
    }
    // The live-only client got exactly the events after the seq it was told it subscribed at.
    const subscribedAt = Number(live.comments[0]!.replace("subscribed at seq ", ""));
    await live.waitForEvents(all.filter((e) => e.seq > subscribedAt).length);
    expect(live.events.map((e) => e.id)).toEqual(seqs(all.filter((e) => e.seq > subscribedAt)));
  });

  it("types filters replay and live; Last-Event-ID resumes across a server restart on the same database", async () => {
    const first = await startServerProcess();
    const terminal = await session(first);
    await keepBusy(first, terminal.id, 60_000);
    await postMany(first, terminal.id, 5, (i) => `a${i}`);
    const stream = await sse(first, "/events?since=0&types=inbox_message_queued");
    await stream.waitForEvents(5);
    expect(stream.events.map((e) => e.data.message).sort()).toEqual(["a0", "a1", "a2", "a3", "a4"]);
    expect(new Set(stream.events.map((e) => e.event))).toEqual(new Set(["inbox_message_queued"]));

    expect(await first.stop()).toBe(0);
    await stream.ended; // the server ends open streams when it stops
    const lastSeen = stream.events.at(-1)!.id;

    const second = await startServerProcess({ home: first.home, socket: first.socket, port: first.port });
    await postMany(second, terminal.id, 3, (i) => `b${i}`); // while nobody listens
    // The header wins over the query (a browser's EventSource reconnects with both).
    const resumed = await sse(second, "/events?since=0&types=inbox_message_queued", {
      "last-event-id": String(lastSeen),
    });
    await resumed.waitForEvents(3);
    await postMany(second, terminal.id, 2, (i) => `c${i}`);
    await resumed.waitForEvents(5);
    const queued = (await history(second, "?since=0&limit=1000&types=inbox_message_queued")).filter(
      (e) => e.seq > lastSeen,
    );
    expect(resumed.events.map((e) => e.id)).toEqual(seqs(queued));
    expect(resumed.events.map((e) => e.data.message).sort()).toEqual(["b0", "b1", "b2", "c0", "c1"]);
    expect(Math.min(...resumed.events.map((e) => e.id))).toBeGreaterThan(lastSeen);
  });

  it("refuses a bad Last-Event-ID, since or types with 400; a foreign Host with 400; a GET from another Origin is not a state change", async () => {
    const server = await startServerProcess();
    for (const [path, headers, detail] of [
      ["/events", { "last-event-id": "x1" }, "Last-Event-ID must be an event seq"],
      ["/events?since=1.5", {}, "since must be an event seq"],
      ["/events?types=terminal_status_change", {}, "unknown event types terminal_status_change"],
    ] as const) {
      const answer = await rawRequest(server.url, "GET", path, {
        headers: { host: `127.0.0.1:${server.port}`, ...headers },
      });
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.body).detail, path).toContain(detail);
    }
    const rebinding = await rawRequest(server.url, "GET", "/events", { headers: { host: "attacker.example" } });
    expect(rebinding.status).toBe(400);
    expect(JSON.parse(rebinding.body).detail).toContain("invalid host header");
    // A page elsewhere may open the stream (it is a GET) but, without CORS headers, its browser will not let it read it.
    const foreign = await sse(server, "/events", { origin: "http://attacker.example" });
    expect(foreign.status).toBe(200);
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("a client that stops reading under a burst of 2,000 events is disconnected; the server keeps answering and other clients get everything", async () => {
    // In-process, so the burst is a real burst: 2,000 events dispatched in one go into the running server's journal
    // (the same call the services make), at a rate no HTTP client could produce.
    const test = await startTestServer();
    inProcess.push(test);
    const { port } = new URL(test.url);
    // A raw socket that sends its request, then never reads a byte: only the kernel's buffers absorb what is sent.
    const stalled = net.connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => stalled.once("connect", () => resolve()));
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    stalled.pause();
    let received = 0;
    let stalledClosed = false;
    stalled.on("data", (chunk: Buffer) => (received += chunk.length));
    stalled.on("close", () => (stalledClosed = true));
    stalled.on("error", () => undefined);
    const reader = await openSse(test.url, "/events");
    streams.push(reader);
    await waitFor(() => reader.comments.length > 0, 5000, "the reader to subscribe");

    const big = "x".repeat(4000); // 2,000 × ~4 KB: far more than the kernel's buffers and the 1 MB backlog limit
    // In chunks of 100 a few ms apart, as requests would bring them: a client that reads keeps up, one that does not
    // falls behind. (One synchronous 8 MB burst would put every client past the 1 MB limit.)
    for (let i = 0; i < 2000; i++) {
      test.server.journal.dispatch(
        new InboxMessageQueuedEvent({
          sessionId: "cao-burst",
          messageId: i + 1,
          sender: "5e4de401",
          receiver: "0a1b2c3d",
          message: `${i} ${big}`,
        }),
      );
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const dropped = () =>
      test.logs.warnings().some((w) => String(w.msg).includes("event stream client disconnected: it stopped reading"));
    await waitFor(dropped, 20_000, "the server to disconnect the stalled client");
    expect(test.logs.warnings().filter((w) => String(w.msg).includes("event stream client disconnected"))).toHaveLength(
      1,
    );
    expect((await test.http("GET", "/health")).body.status).toBe("ok");
    await reader.waitForEvents(2000, 30_000);
    expect(reader.events.map((e) => e.data.message_id)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    // Reading now drains only what the kernel's buffers already held, then the connection ends: the server had
    // stopped queueing for it (all 2,000 events would be over 8 MB).
    stalled.resume();
    await waitFor(() => stalledClosed, 20_000, "the stalled connection to end");
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(2000 * 4000);
  }, 60_000);
});
