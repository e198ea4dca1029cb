/**
 * Interceptors (docs/contract.md#interception-points) end to end: drop-in plugins loaded by the real registry, a real server over HTTP, agents
 * in real tmux, the inbox in real SQLite. For each point: allow, deny, modify, chain order, fail-open faults,
 * failClosed; after each denial nothing is left behind (tmux, database rows, screen text).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FAULTY_SOURCE,
  guardSource,
  observerSource,
  STRICT_SOURCE,
  taggerSource,
} from "./helpers/intercept-plugins.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { sink } from "./helpers/recorder.js";
import { CAO_MAIN } from "./helpers/server-process.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const OPS = "interceptors-ops";
const OBSERVED = "interceptors-observed";
const moved = tempDir("cao-moved-");
let t: TestServer;
let agent = "";

type Observed = { type: string; json: Record<string, any> };
const observed = () => sink<Observed>(OBSERVED);
const ops = () => sink<{ plugin: string; op: Record<string, unknown> }>(OPS);

beforeAll(async () => {
  t = await startTestServer({
    plugins: {
      "guard.ts": guardSource(OPS, moved),
      "tag-a.mjs": taggerSource("a", 0),
      "tag-b.mjs": taggerSource("b", 10),
      "tag-c.mjs": taggerSource("c", 0),
      "faulty.ts": FAULTY_SOURCE,
      "strict.mjs": STRICT_SOURCE,
      "observer.ts": observerSource(OBSERVED),
    },
    server: { plugins: { interceptTimeoutMs: 300 } },
  });
  agent = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "icpt" })).id;
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const screen = async (id = agent) => (await t.client.output(id, "full")).output;
const input = (message: string, extra: Record<string, string> = {}, id = agent) =>
  t.http("POST", `/terminals/${id}/input`, { body: { message, ...extra } });

/** Types a harmless marker and waits until it shows: whatever was denied before it would have shown by then. */
async function settleScreen(): Promise<string> {
  const marker = `marker-${Math.random().toString(36).slice(2, 8)}`;
  expect((await input(marker)).status).toBe(200);
  await waitFor(async () => (await screen()).includes(marker), 10_000, "the marker on screen");
  return screen();
}

describe("the plugins' rows", () => {
  it("GET /plugins lists intercepted points among hooks", async () => {
    const rows = (await t.http("GET", "/plugins")).body as { name: string; hooks: string[]; status: string }[];
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName.guard).toMatchObject({
      status: "active",
      hooks: ["pre_send_message", "pre_create_session", "pre_create_terminal"],
    });
    expect(byName["tag-a"]!.hooks).toEqual(["pre_send_message"]);
    // post_send_message is the Python CAO's name of message_sent
    expect(byName.observer!.hooks).toEqual(["operation_denied", "message_sent"]);
  });
});

describe("pre_send_message on direct input (POST /terminals/:id/input)", () => {
  it("allow: the text is typed and the interceptor saw the operation's fields", async () => {
    const mark = ops().length;
    expect((await input("hello there", { sender_id: "0000aaaa", orchestration_type: "send_message" })).status).toBe(
      200,
    );
    await waitFor(async () => (await screen()).includes("hello there"), 10_000, "the text on screen");
    expect(ops().slice(mark)).toEqual([
      {
        plugin: "guard",
        op: {
          point: "pre_send_message",
          sessionId: "cao-icpt",
          sender: "0000aaaa",
          receiver: agent,
          message: "hello there",
          orchestrationType: "send_message",
        },
      },
    ]);
    const mark2 = ops().length;
    expect((await input("no sender")).status).toBe(200);
    expect(ops().slice(mark2)[0]!.op).toMatchObject({ sender: null, orchestrationType: null, message: "no sender" });
  });

  it("deny: 403 with the plugin's reason, nothing typed, no message_sent, one operation_denied", async () => {
    const mark = observed().length;
    const answer = await input("please rm -rf / now", { sender_id: "0000aaaa", orchestration_type: "assign" });
    expect(answer).toEqual({ status: 403, body: { detail: "denied by plugin guard: destructive command" } });
    expect(await settleScreen()).not.toContain("rm -rf /");
    await t.server.registry.drain(5000);
    const seen = observed().slice(mark);
    expect(seen.filter((e) => e.type === "message_sent").map((e) => e.json.message)).not.toContain(
      "please rm -rf / now",
    );
    const denied = seen.filter((e) => e.type === "operation_denied");
    expect(denied).toHaveLength(1);
    expect(denied[0]!.json).toMatchObject({
      event_type: "operation_denied",
      session_id: "cao-icpt",
      point: "pre_send_message",
      plugin: "guard",
      reason: "destructive command",
      operation: {
        session_id: "cao-icpt",
        sender: "0000aaaa",
        receiver: agent,
        message: "please rm -rf / now",
        orchestration_type: "assign",
      },
    });
  });

  it("modify: the changed text is what is typed and what observers hear", async () => {
    const mark = observed().length;
    expect(
      (await input("key AKIAABCDEFGHIJKLMNOP here", { sender_id: "0000aaaa", orchestration_type: "send_message" }))
        .status,
    ).toBe(200);
    await waitFor(async () => (await screen()).includes("key [redacted] here"), 10_000, "the redacted text");
    expect(await screen()).not.toContain("AKIAABCDEFGHIJKLMNOP");
    await t.server.registry.drain(5000);
    expect(
      observed()
        .slice(mark)
        .find((e) => e.type === "message_sent")!.json.message,
    ).toBe("key [redacted] here");
  });

  it("chain order: priority (higher first), then plugin name; each sees the changes before it", async () => {
    const mark = ops().length;
    expect((await input("TAG-ME")).status).toBe(200);
    await waitFor(async () => (await screen()).includes("TAG-ME|b|a|c"), 10_000, "the tagged text");
    // guard (priority 5) ran after tag-b (10) and before tag-a and tag-c (0)
    expect(ops().slice(mark)[0]!.op.message).toBe("TAG-ME|b");
  });

  it("throw, rejection, timeout and invalid values count as allow, each with a WARN naming plugin and point", async () => {
    const cases = ["THROW-1", "REJECT-2", "HANG-3", "BAD-VALUE-4", "BAD-DENY-5"];
    for (const text of cases) expect((await input(text)).status, text).toBe(200);
    const shown = await settleScreen();
    for (const text of cases) expect(shown).toContain(text);
    const warns = t.logs.warnings().filter((w) => w.plugin === "faulty");
    expect(
      warns.map((w) => [
        w.point,
        w.msg.replace(/^plugin "faulty" interceptor intercepts\.pre_send_message at pre_send_message /, ""),
      ]),
    ).toEqual([
      ["pre_send_message", "threw: interceptor exploded; counted as allow"],
      ["pre_send_message", "rejected: interceptor rejected; counted as allow"],
      ["pre_send_message", "did not answer within 300 ms; counted as allow"],
      ["pre_send_message", "returned number 42, not a decision; counted as allow"],
      ["pre_send_message", "returned a deny without a reason; counted as allow"],
    ]);
  });

  it("a modify naming a field the point does not allow: that field is dropped with a WARN, the rest applies", async () => {
    expect((await input("WRONG-FIELD")).status).toBe(200);
    await waitFor(async () => (await screen()).includes("WRONG-FIELD (checked)"), 10_000, "the modified text");
    expect(
      t.logs
        .warnings()
        .some(
          (w) =>
            w.plugin === "faulty" &&
            /tried to change workingDirectory, which pre_send_message does not allow/.test(w.msg),
        ),
    ).toBe(true);
  });

  it("failClosed: a failing interceptor denies", async () => {
    const answer = await input("STRICT check");
    expect(answer.status).toBe(403);
    expect(answer.body.detail).toBe(
      "denied by plugin strict: interceptor intercepts.pre_send_message failed (failClosed): threw: policy backend down",
    );
    expect(await settleScreen()).not.toContain("STRICT check");
  });
});

describe("pre_send_message at inbox acceptance", () => {
  const inbox = () =>
    t.client.request<{ message: string }[]>("GET", `/terminals/${agent}/inbox/messages`, undefined, { limit: 100 });

  it("deny: the sender gets 403 at once and no row is stored", async () => {
    const before = (await inbox()).length;
    const answer = await t.http("POST", `/terminals/${agent}/inbox/messages`, {
      body: { sender_id: "0000aaaa", message: "rm -rf / please" },
    });
    expect(answer).toEqual({ status: 403, body: { detail: "denied by plugin guard: destructive command" } });
    expect(await inbox()).toHaveLength(before);
    expect(ops().at(-1)!.op).toMatchObject({ orchestrationType: "send_message", sender: "0000aaaa", receiver: agent });
  });

  it("modify: the stored and delivered message is the changed one", async () => {
    const answer = await t.http("POST", `/terminals/${agent}/inbox/messages`, {
      body: { sender_id: "0000aaaa", message: "inbox AKIAABCDEFGHIJKLMNOP" },
    });
    expect(answer.status).toBe(200);
    expect((await inbox()).at(-1)!.message).toBe("inbox [redacted]");
    await waitFor(async () => (await screen()).includes("inbox [redacted]"), 15_000, "delivery");
  });
});

describe("pre_create_session and pre_create_terminal (REST)", () => {
  it("a denied session leaves no tmux session and no records", async () => {
    const answer = await t.http("POST", "/sessions", {
      body: { provider: "mock", agent_profile: "developer", session_name: "forbidden-1" },
    });
    expect(answer).toEqual({ status: 403, body: { detail: "denied by plugin guard: no forbidden sessions" } });
    expect(await t.server.tmux.hasSession("cao-forbidden-1")).toBe(false);
    expect(t.server.db.terminalsOfSession("cao-forbidden-1")).toEqual([]);
    expect(((await t.http("GET", "/sessions")).body as { name: string }[]).map((s) => s.name)).not.toContain(
      "cao-forbidden-1",
    );
  });

  it("a modified working directory is where the agent starts; pre_create_terminal sees the change", async () => {
    const mark = ops().length;
    const created = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "moved",
      working_directory: "/tmp",
    });
    expect((await t.client.workingDirectory(created.id)).working_directory).toBe(fs.realpathSync(moved));
    expect(
      ops()
        .slice(mark)
        .map((o) => [o.op.point, o.op.workingDirectory]),
    ).toEqual([
      ["pre_create_session", "/tmp"],
      ["pre_create_terminal", moved],
    ]);
    expect(ops().slice(mark)[0]!.op).toEqual({
      point: "pre_create_session",
      sessionName: "cao-moved",
      provider: "mock",
      agentProfile: "developer",
      workingDirectory: "/tmp",
    });
    await t.client.deleteSession("cao-moved");
  });

  it("a denied first terminal leaves no session; a denied later terminal leaves no window", async () => {
    const first = await t.http("POST", "/sessions", {
      body: { provider: "mock", agent_profile: "reviewer", session_name: "rev" },
    });
    expect(first).toEqual({ status: 403, body: { detail: "denied by plugin guard: no reviewers here" } });
    expect(await t.server.tmux.hasSession("cao-rev")).toBe(false);
    expect(t.server.db.terminalsOfSession("cao-rev")).toEqual([]);

    const windows = await t.server.tmux.listWindows("cao-icpt");
    const later = await t.http("POST", "/sessions/icpt/terminals", {
      body: { provider: "mock", agent_profile: "reviewer" },
    });
    expect(later).toEqual({ status: 403, body: { detail: "denied by plugin guard: no reviewers here" } });
    expect(await t.server.tmux.listWindows("cao-icpt")).toEqual(windows);
    expect(t.server.db.terminalsOfSession("cao-icpt").map((r) => r.id)).toEqual([agent]);
  });

  it("cao launch exits 1 with the denial", async () => {
    const { port } = new URL(t.url);
    // Asynchronously: the server answering it runs in this very process.
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          CAO_MAIN,
          "launch",
          "--agents",
          "developer",
          "--provider",
          "mock",
          "--session-name",
          "forbidden-2",
          "--headless",
        ],
        {
          env: { ...process.env, CAO_API_HOST: "127.0.0.1", CAO_API_PORT: port },
        },
        (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("denied by plugin guard: no forbidden sessions");
    expect(await t.server.tmux.hasSession("cao-forbidden-2")).toBe(false);
  });
});

describe("registry.remove(): a removed plugin's interceptors stop", () => {
  it("an added in-memory interceptor denies until it is removed", async () => {
    await t.server.registry.add("blocker", {
      intercepts: {
        pre_send_message: (op: { message: string }) =>
          op.message.includes("BLOCK") ? { decision: "deny", reason: "blocked" } : undefined,
      },
    });
    expect((await input("BLOCK me")).body).toEqual({ detail: "denied by plugin blocker: blocked" });
    await t.server.registry.remove("blocker");
    expect((await input("BLOCK me")).status).toBe(200);
  });
});

describe("no interceptor at a point", () => {
  it("is not asked: intercepts() is false for the points nobody serves", async () => {
    const registry = t.server.registry;
    expect(
      ["pre_create_session", "pre_create_terminal", "pre_send_message"].map((p) => registry.intercepts(p as never)),
    ).toEqual([true, true, true]);
    await registry.remove("guard");
    expect(registry.intercepts("pre_create_session")).toBe(false);
    expect(registry.intercepts("pre_send_message")).toBe(true); // the taggers still serve it
  });
});
