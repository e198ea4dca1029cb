/**
 * The drop-ins that ship in plugins.d/, loaded by a real registry straight from that folder (CAO_PLUGINS_DIR),
 * against real files and a real local HTTP receiver.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MessageSentEvent, SessionCreatedEvent, TerminalCreatedEvent } from "../src/plugins/api/index.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";
import { waitFor } from "./helpers/wait.js";

const PLUGINS_D = path.resolve("plugins.d");
const servers: http.Server[] = [];

afterEach(async () => {
  await stopRegistries();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

async function loadBundled(env: Record<string, string>, configYaml?: string) {
  const home = tempDir("cao-bundled-");
  if (configYaml !== undefined) fs.writeFileSync(path.join(home, "config.yaml"), configYaml);
  return startRegistry({ home, env: { CAO_PLUGINS_DIR: PLUGINS_D, ...env } });
}

function message(n: number): MessageSentEvent {
  return new MessageSentEvent({
    sessionId: "cao-b",
    sender: "0000aaaa",
    receiver: "1111bbbb",
    message: `message ${n}`,
    orchestrationType: "assign",
  });
}

it("every bundled plugin loads from plugins.d", async () => {
  const { registry, logs } = await loadBundled({});
  expect(registry.list().map((p) => [p.name, p.status])).toEqual([
    ["event-log", "active"],
    ["hello", "active"],
    ["profile-policy", "active"],
    ["rate-limit", "active"],
    ["redact-secrets", "active"],
    ["tool-policy", "active"],
    ["webhook", "active"],
  ]);
  expect(logs.warnings()).toEqual([]);
});

describe("event-log", () => {
  it("writes every event as one JSON line in $CAO_HOME/logs/events.jsonl", async () => {
    const { home, registry } = await loadBundled({});
    registry.dispatch(new SessionCreatedEvent({ sessionId: "cao-b", sessionName: "cao-b" }));
    registry.dispatch(
      new TerminalCreatedEvent({
        sessionId: "cao-b",
        terminalId: "1111bbbb",
        agentName: "developer",
        provider: "mock",
      }),
    );
    registry.dispatch(message(1));
    await registry.drain(5000);
    const lines = fs
      .readFileSync(path.join(home, "logs", "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event_type)).toEqual(["session_created", "terminal_created", "message_sent"]);
    expect(lines[2]).toMatchObject({
      sender: "0000aaaa",
      receiver: "1111bbbb",
      message: "message 1",
      orchestration_type: "assign",
      session_id: "cao-b",
    });
    expect(Date.parse(lines[0].timestamp)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("rotates at the size limit, keeps the configured number of files, and loses no line among those kept", async () => {
    const { home, registry } = await loadBundled({ CAO_EVENT_LOG_MAX_BYTES: "2000", CAO_EVENT_LOG_KEEP: "2" });
    for (let n = 0; n < 60; n++) registry.dispatch(message(n));
    await registry.drain(5000);
    const dir = path.join(home, "logs");
    expect(fs.readdirSync(dir).sort()).toEqual(["events.jsonl", "events.jsonl.1", "events.jsonl.2"]);
    const files = ["events.jsonl.2", "events.jsonl.1", "events.jsonl"].map((f) => path.join(dir, f));
    for (const file of files) expect(fs.statSync(file).size).toBeLessThanOrEqual(2000);
    const numbers = files.flatMap((f) =>
      fs
        .readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => Number(JSON.parse(l).message.split(" ")[1])),
    );
    expect(numbers.at(-1)).toBe(59);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i)); // contiguous, in order
  });
});

describe("settings from config.yaml (docs/contract.md#configyaml)", () => {
  it("event-log takes maxBytes and keep from its config section, which wins over the environment variables", async () => {
    const { home, registry } = await loadBundled(
      { CAO_EVENT_LOG_MAX_BYTES: "999999", CAO_EVENT_LOG_KEEP: "5", LOG_KEEP: "1" },
      `plugins:\n  event-log:\n    config:\n      maxBytes: 2000\n      keep: \${LOG_KEEP}\n`,
    );
    expect(registry.list().find((p) => p.name === "event-log")?.status).toBe("failed"); // "1" from the environment is a string
    await registry.teardown();
    const again = await loadBundled(
      { CAO_EVENT_LOG_MAX_BYTES: "999999", CAO_EVENT_LOG_KEEP: "5" },
      `plugins:\n  event-log:\n    config: { maxBytes: 2000, keep: 1 }\n`,
    );
    for (let n = 0; n < 60; n++) again.registry.dispatch(message(n));
    await again.registry.drain(5000);
    expect(fs.readdirSync(path.join(again.home, "logs")).sort()).toEqual(["events.jsonl", "events.jsonl.1"]);
    expect(fs.statSync(path.join(again.home, "logs", "events.jsonl.1")).size).toBeLessThanOrEqual(2000);
    expect(home).not.toBe(again.home);
  });

  it("an invalid section fails that bundled plugin only, naming the field", async () => {
    const { registry } = await loadBundled(
      {},
      `plugins:\n  event-log:\n    config: { keep: 0, colour: red }\n  webhook:\n    config: { url: "ftp://x", events: [message_sent, lunch] }\n`,
    );
    const rows = Object.fromEntries(registry.list().map((p) => [p.name, p]));
    expect(rows["event-log"]).toMatchObject({
      status: "failed",
      error:
        "invalid config: config.keep: expected a positive integer; config.colour: unknown setting (known: maxBytes, keep)",
    });
    expect(rows.webhook).toMatchObject({
      status: "failed",
      error: expect.stringMatching(
        /^invalid config: config\.url: expected an http\(s\) URL; config\.events\[1\]: unknown event type/,
      ),
    });
    expect(rows.hello?.status).toBe("active");
  });
});

describe("webhook", () => {
  interface Hit {
    at: number;
    body: Record<string, string>;
    status: number;
  }

  /** A real HTTP receiver answering with the scripted statuses in turn (then 200), recording every request. */
  async function receiver(script: { status: number; headers?: Record<string, string>; body?: string }[]) {
    const hits: Hit[] = [];
    const server = http.createServer((request, response) => {
      let raw = "";
      request.on("data", (c: Buffer) => (raw += c.toString()));
      request.on("end", () => {
        const step = script[hits.length] ?? { status: 200 };
        hits.push({ at: Date.now(), body: JSON.parse(raw) as Record<string, string>, status: step.status });
        response.writeHead(step.status, step.headers);
        response.end(step.body ?? "");
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, hits };
  }

  it("posts Discord-format messages in order through a failure and a 429, honouring Retry-After, without blocking", async () => {
    const { url, hits } = await receiver([{ status: 500 }, { status: 429, headers: { "retry-after": "1" } }]);
    const { registry } = await loadBundled({ CAO_WEBHOOK_URL: url, CAO_WEBHOOK_FORMAT: "discord" });
    registry.dispatch(new SessionCreatedEvent({ sessionId: "cao-b", sessionName: "cao-b" }));
    registry.dispatch(message(1));
    registry.dispatch(message(2));
    // Handlers only enqueue: the registry is drained long before the receiver lets anything through.
    expect(await registry.drain(500)).toBe(true);
    await waitFor(() => hits.filter((h) => h.status === 200).length === 3, 15_000, "three successful posts");
    const contents = hits.map((h) => [h.status, h.body.content?.split("\n")[0]]);
    expect(contents).toEqual([
      [500, "🟢 session started: cao-b"],
      [429, "🟢 session started: cao-b"],
      [200, "🟢 session started: cao-b"],
      [200, "💬 0000aaaa → 1111bbbb (assign, cao-b)"],
      [200, "💬 0000aaaa → 1111bbbb (assign, cao-b)"],
    ]);
    expect(hits[3]!.body.content).toContain("message 1");
    expect(hits[4]!.body.content).toContain("message 2");
    expect(hits[2]!.at - hits[1]!.at).toBeGreaterThanOrEqual(950); // waited as Retry-After asked
    expect(hits.every((h) => h.body.text === undefined)).toBe(true);
  });

  it("uses Slack's format by default, gives up after the configured retries, and does not retry a 400", async () => {
    const { url, hits } = await receiver([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 400 }]);
    const { registry, logs } = await loadBundled({ CAO_WEBHOOK_URL: url, CAO_WEBHOOK_RETRIES: "2" });
    registry.dispatch(message(1)); // 503, 503, 503: three attempts, then given up
    registry.dispatch(message(2)); // 400: not retried
    registry.dispatch(message(3)); // 200
    await waitFor(() => hits.length === 5, 15_000, "five requests");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hits.map((h) => [h.status, h.body.text?.split("\n")[1]])).toEqual([
      [503, "message 1"],
      [503, "message 1"],
      [503, "message 1"],
      [400, "message 2"],
      [200, "message 3"],
    ]);
    expect(hits.every((h) => h.body.content === undefined)).toBe(true);
    const warned = logs.warnings().map((w) => w.msg);
    expect(warned).toEqual([
      "webhook: giving up on a message after 3 attempts",
      "webhook: HTTP 400 is not retryable; message dropped",
    ]);
  });

  it("takes url (a ${VAR} from the environment), format and events from its config section", async () => {
    const { url, hits } = await receiver([]);
    const { registry } = await loadBundled(
      { HOOK_URL: url, CAO_WEBHOOK_FORMAT: "slack" },
      `plugins:\n  webhook:\n    config:\n      url: \${HOOK_URL}\n      format: discord\n      events: [message_sent]\n`,
    );
    registry.dispatch(new SessionCreatedEvent({ sessionId: "cao-b", sessionName: "cao-b" })); // not in events: not posted
    registry.dispatch(message(1));
    await waitFor(() => hits.length === 1, 10_000, "one post");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hits.map((h) => h.body.content?.split("\n")[1])).toEqual(["message 1"]);
  });

  it("stays idle with one INFO line when CAO_WEBHOOK_URL is not set", async () => {
    const { registry, logs } = await loadBundled({});
    registry.dispatch(message(1));
    await registry.drain(1000);
    expect(logs.lines.filter((l) => l.plugin === "webhook").map((l) => l.msg)).toEqual([
      "webhook: CAO_WEBHOOK_URL is not set; nothing will be posted",
    ]);
  });
});
