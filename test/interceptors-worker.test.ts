/**
 * Interceptors of worker-isolated plugins (docs/contract.md#interception-points): real drop-ins declaring `isolation = "worker"`, loaded by
 * the real registry into their own worker threads, deciding operations of a real server over HTTP with agents in real
 * tmux. Each decision names the thread that made it, so the tests see it was made in a worker (threadId ≠ 0) and,
 * after a loop, in a new one. An interceptor that loops is cut off at the intercept deadline: the operation goes on
 * (fail-open) or is refused (failClosed), and the worker is terminated and restarted as for a looping handler.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { fileRecorderSource, readRecords } from "./helpers/file-recorder.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { pluginFixture, pluginFixtureAsJs } from "./helpers/plugin-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const TEST_TIMEOUT = 90_000;

const GUARD = pluginFixture("worker-guard.ts");
/** failClosed, as a class-free plugin in a worker: a loop there refuses the operation. */
const STRICT = pluginFixtureAsJs("worker-fail-closed.ts");

/** A worker plugin observing operation_denied: it records the event as its thread got it. */
const observed = path.join(tempDir("cao-wobs-"), "observed.jsonl");
const OBSERVER = fileRecorderSource(observed, "observer", {
  isolation: "worker",
  body: `@hook("operation_denied") denied(event: any) {
    fs.appendFileSync(FILE, JSON.stringify({ denied: true, threadId, isOwnClass: event instanceof (EVENT_CLASSES as any).operation_denied,
      frozen: Object.isFrozen(event), plugin: event.plugin, point: event.point, operation: event.operation }) + "\\n");
  }`,
});

let t: TestServer;
let agent = "";

beforeAll(async () => {
  t = await startTestServer({
    plugins: { "worker-guard.ts": GUARD, "strict-worker.mjs": STRICT, "observer.ts": OBSERVER },
    // Room for a busy machine: a worker's answer takes a message round trip; the loops take this long to be cut off.
    server: { plugins: { interceptTimeoutMs: 1500 } },
  });
  agent = (await t.client.createSession({ provider: "mock", agent_profile: "developer", session_name: "wicpt" })).id;
}, TEST_TIMEOUT);

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

const screen = async () => (await t.client.output(agent, "full")).output;
const input = (message: string) => t.http("POST", `/terminals/${agent}/input`, { body: { message } });
const threadOf = (text: string): number => Number(/thread[ -](\d+)/.exec(text)![1]);

/** Types a harmless marker and waits until it shows: whatever was denied before it would have shown by then. */
async function settleScreen(): Promise<string> {
  const marker = `marker-${Math.random().toString(36).slice(2, 8)}`;
  expect((await input(marker)).status).toBe(200);
  await waitFor(async () => (await screen()).includes(marker), 15_000, "the marker on screen");
  return screen();
}

describe("interceptors in worker threads", () => {
  it("are listed with their points and isolation", async () => {
    const rows = (await t.http("GET", "/plugins")).body as {
      name: string;
      hooks: string[];
      status: string;
      isolation: string;
    }[];
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName["worker-guard"]).toMatchObject({
      status: "active",
      isolation: "worker",
      hooks: ["pre_send_message", "pre_create_terminal"],
    });
    expect(byName["strict-worker"]).toMatchObject({
      status: "active",
      isolation: "worker",
      hooks: ["pre_send_message"],
    });
  });

  it(
    "allow: the text is typed",
    async () => {
      expect((await input("plain words from the test")).status).toBe(200);
      await waitFor(async () => (await screen()).includes("plain words from the test"), 15_000, "the text on screen");
    },
    TEST_TIMEOUT,
  );

  it(
    "deny: 403 with the worker's reason, nothing typed",
    async () => {
      const answer = await input("W-DENY this");
      expect(answer.status).toBe(403);
      const detail = (answer.body as { detail: string }).detail;
      expect(detail).toMatch(/^denied by plugin worker-guard: refused in thread \d+$/);
      expect(threadOf(detail)).toBeGreaterThan(0); // decided in a worker, not in the server's thread (0)
      expect(await settleScreen()).not.toContain("W-DENY this");
      // Journaled with a seq like every event, and heard by a worker observer with the operation in camelCase, as inline.
      const history = (await t.http("GET", "/events/history", { query: { types: "operation_denied" } })).body as Record<
        string,
        any
      >[];
      expect(history.at(-1)).toMatchObject({
        seq: expect.any(Number),
        event_type: "operation_denied",
        plugin: "worker-guard",
        operation: { message: "W-DENY this", orchestration_type: null },
      });
      const denials = () =>
        (readRecords(observed) as unknown as Record<string, any>[]).filter((r) => r.denied === true);
      await waitFor(() => denials().length > 0, 15_000, "the observer's record of the denial");
      const [seen] = denials();
      expect(seen).toMatchObject({
        denied: true,
        isOwnClass: true,
        frozen: true,
        plugin: "worker-guard",
        point: "pre_send_message",
      });
      expect(seen!.threadId).toBeGreaterThan(0);
      expect(seen!.operation).toEqual({
        sessionId: "cao-wicpt",
        sender: null,
        receiver: agent,
        message: "W-DENY this",
        orchestrationType: null,
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "modify: the worker's change is what the agent gets",
    async () => {
      expect((await input("please W-MODIFY it")).status).toBe(200);
      await waitFor(
        async () => /please changed-in-thread-\d+ it/.test(await screen()),
        15_000,
        "the changed text on screen",
      );
      expect(await screen()).not.toContain("W-MODIFY");
    },
    TEST_TIMEOUT,
  );

  it(
    "deny at pre_create_terminal from a worker leaves no terminal",
    async () => {
      const windows = await t.server.tmux.listWindows("cao-wicpt");
      const answer = await t.http("POST", "/sessions/wicpt/terminals", {
        body: { provider: "mock", agent_profile: "reviewer" },
      });
      expect(answer.status).toBe(403);
      expect((answer.body as { detail: string }).detail).toMatch(
        /^denied by plugin worker-guard: no reviewers \(thread \d+\)$/,
      );
      expect(await t.server.tmux.listWindows("cao-wicpt")).toEqual(windows);
      expect(t.server.db.terminalsOfSession("cao-wicpt")).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it(
    "a looping interceptor: fail-open at the deadline, its worker terminated and restarted, then it decides again",
    async () => {
      const before = threadOf((await input("W-DENY probe")).body.detail as string);
      const warningsBefore = t.logs.warnings().length;
      const looped = await input("W-LOOP then go on");
      expect(looped.status).toBe(200); // fail-open: the operation went ahead
      await waitFor(async () => (await screen()).includes("W-LOOP then go on"), 15_000, "the text on screen");
      const warnings = t.logs
        .warnings()
        .slice(warningsBefore)
        .map((w) => w.msg);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /plugin "worker-guard" interceptor check at pre_send_message did not answer within 1500 ms; counted as allow/,
          ),
          expect.stringMatching(
            /plugin "worker-guard" worker was terminated: interceptor check ran past the 1500 ms intercept deadline; restarting it/,
          ),
        ]),
      );
      // The restarted plugin decides again, from a new thread.
      let after = before;
      await waitFor(
        async () => {
          const probe = await input("W-DENY probe");
          if (probe.status === 403) after = threadOf((probe.body as { detail: string }).detail);
          return after !== before;
        },
        30_000,
        "the restarted worker to deny again",
      );
      expect(after).toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "a looping failClosed interceptor: denied, and its worker is restarted",
    async () => {
      const warningsBefore = t.logs.warnings().length;
      const answer = await input("S-LOOP must not pass");
      expect(answer.status).toBe(403);
      expect((answer.body as { detail: string }).detail).toBe(
        "denied by plugin strict-worker: interceptor intercepts.pre_send_message failed (failClosed): did not answer within 1500 ms",
      );
      expect(
        t.logs
          .warnings()
          .slice(warningsBefore)
          .map((w) => w.msg),
      ).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /plugin "strict-worker" worker was terminated: interceptor intercepts\.pre_send_message ran past/,
          ),
        ]),
      );
      // Still active (one death is within the budget), and allowing ordinary input again.
      const row = ((await t.http("GET", "/plugins")).body as { name: string; status: string }[]).find(
        (r) => r.name === "strict-worker",
      );
      expect(row!.status).toBe("active");
      // While its worker restarts, a call waits for it within the deadline; failClosed, a restart slower than that denies.
      await waitFor(
        async () => (await input("after the strict loop")).status === 200,
        30_000,
        "ordinary input to pass",
      );
      expect(await settleScreen()).not.toContain("S-LOOP must not pass");
    },
    TEST_TIMEOUT,
  );
});
