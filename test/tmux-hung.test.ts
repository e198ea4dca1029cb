/**
 * tmux hung: its server stopped with SIGSTOP under a running cao-server (a real `cao server` child, real tmux). Every
 * tmux call has a deadline, so requests answer 503 `{detail}` instead of hanging, the timed-out tmux clients are
 * killed instead of piling up, and once tmux resumes the server serves again.
 */
import { afterAll, afterEach, expect, it } from "vitest";
import { TmuxUnavailableError } from "../src/clients/tmux.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer } from "./helpers/server.js";
import {
  childrenNamed,
  startServerProcess,
  stopServerProcesses,
  type ServerProcess,
} from "./helpers/server-process.js";
import { waitFor } from "./helpers/wait.js";

const TIMEOUT_MS = 1000;
/** "Did not hang": far beyond the deadline, far below the 15 s and more that requests took before. */
const NOT_HUNG_MS = 8000;

let stoppedTmux: number | undefined;

afterEach(async () => {
  // Resume tmux even when the test failed, or its server (and the child cao-server's cleanup) would stay stuck.
  if (stoppedTmux !== undefined) process.kill(stoppedTmux, "SIGCONT");
  stoppedTmux = undefined;
  await stopServerProcesses();
});

afterAll(() => {
  removeTempDirs();
});

async function timed(
  server: ServerProcess,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await Promise.race([
    server.http(method, route, body),
    new Promise<{ status: number; body: any }>((resolve) =>
      setTimeout(() => resolve({ status: -1, body: { detail: "hung" } }), NOT_HUNG_MS),
    ),
  ]);
  return response;
}

it("tmux hung: requests answer 503 {detail} within the deadline instead of hanging, no tmux children pile up, and it serves again after SIGCONT", async () => {
  const server = await startServerProcess({ env: { CAO_TMUX_TIMEOUT_MS: String(TIMEOUT_MS) } });
  const terminal = await server.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "hung",
  });
  const tmuxPid = Number(server.tmux("display-message", "-p", "#{pid}").trim());
  const serverPid = server.child.pid!;
  expect(childrenNamed(serverPid, "tmux").length).toBeLessThanOrEqual(1); // at most a liveness check in flight

  process.kill(tmuxPid, "SIGSTOP");
  stoppedTmux = tmuxPid;
  // Each round creates its own session name: a second create of one name while the first is in flight is a 409.
  const round = (r: number): [string, string, unknown?][] => [
    ["GET", `/terminals/${terminal.id}`],
    ["POST", `/terminals/${terminal.id}/input`, { message: "typed while tmux is stopped" }],
    ["GET", `/terminals/${terminal.id}/output`],
    ["POST", "/sessions", { provider: "mock", agent_profile: "developer", session_name: `during-${r}` }],
    ["GET", "/sessions"],
    ["GET", "/sessions/cao-hung"],
    ["DELETE", "/sessions/cao-nothing-here"],
  ];
  const requests = [...round(0), ...round(1)];
  // (No exit or delete of the terminal: a killed tmux client's command still runs when tmux resumes, see below.)
  // Twice over, all at once: without deadlines every one of these would leave a tmux client waiting.
  const answers = await Promise.all(requests.map(([method, route, body]) => timed(server, method, route, body)));
  answers.forEach((answer, i) => {
    const [method, route] = requests[i]!;
    expect(answer.status, `${method} ${route}: ${JSON.stringify(answer.body)}`).toBe(503);
    expect(answer.body.detail).toMatch(/tmux did not answer within 1000 ms/);
  });
  // The timed-out clients were killed: nothing left behind but, at most, the liveness check's own call.
  await waitFor(() => childrenNamed(serverPid, "tmux").length <= 1, 5000, "timed-out tmux clients to be gone");
  expect(server.child.exitCode).toBeNull();

  process.kill(tmuxPid, "SIGCONT");
  stoppedTmux = undefined;
  await waitFor(
    async () => (await server.http("GET", `/terminals/${terminal.id}`)).status === 200,
    10_000,
    "the terminal to answer again",
  );
  const input = await server.http("POST", `/terminals/${terminal.id}/input`, { message: "after tmux resumed" });
  expect(input).toEqual({ status: 200, body: { success: true } });
  await waitFor(
    async () =>
      (await server.client.output(terminal.id, "full")).output.includes("Mock answer (developer): after tmux resumed"),
    10_000,
    "the answer",
  );
  const again = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: "during-0",
  });
  expect(again.status).toBe(201);
});

it("tmux missing: requests that need tmux answer 503 {detail}, the server keeps running", async () => {
  const server = await startServerProcess({ env: { PATH: "/nonexistent", CAO_TMUX_TIMEOUT_MS: String(TIMEOUT_MS) } });
  const created = await server.http("POST", "/sessions", {
    provider: "mock",
    agent_profile: "developer",
    session_name: "notmux",
  });
  expect(created.status).toBe(503);
  expect(created.body.detail).toMatch(/tmux is not installed/);
  const listed = await server.http("GET", "/sessions");
  expect(listed.status).toBe(503);
  expect((await server.client.health()).status).toBe("ok");
});

it("tmux hung: a window that a timed-out create leaves behind (a stopped tmux still runs a killed client's command when it resumes) is removed by the next reconcile pass", async () => {
  const t = await startTestServer({ server: { livenessMs: 3_600_000 } });
  try {
    // What tmux does on resuming: the new-session whose client was killed at the deadline runs after all. (The
    // windows run sleep, not a login shell: killing a shell in the middle of its rc files can leave locks behind.)
    await t.server.tmux.run(["new-session", "-d", "-s", "cao-late", "-n", "developer-0123", "sleep 60"]);
    t.server.terminals.abandoned.noteIfUnanswered(
      new TmuxUnavailableError("tmux did not answer", ["new-session"]),
      "cao-late",
      "developer-0123",
    );
    // A session of someone else's, equally without a record but never abandoned by us, is left alone.
    await t.server.tmux.run(["new-session", "-d", "-s", "cao-hand-made", "-n", "w", "sleep 60"]);
    expect((await t.client.listSessions()).map((s) => s.name)).toEqual(["cao-hand-made"]);
    expect(await t.server.tmux.hasSession("cao-late")).toBe(false);
    expect(t.logs.warnings().map((l) => l.msg)).toContain(
      "removed tmux window cao-late:developer-0123, created after its request had timed out",
    );
  } finally {
    await t.close();
  }
});
