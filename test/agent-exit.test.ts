/**
 * An agent CLI that has exited — by `/exit`, or killed — leaves its terminal in status `error`, never `processing`
 * forever; nothing is typed into what is left behind, and its pending inbox messages fail with the reason
 * (docs/contract.md#http-api). Real server, real HTTP, real tmux, the mock agent; the inbox state is read from the real SQLite file.
 */
import fs from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recorderSource, sink, type Received } from "./helpers/recorder.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const KEY = "agent-exit";
// tmux learns an exit status when it reaps the agent, which can lag (with pipe-pane, tmux 3.3 may leave the agent a
// zombie until its next child exits); the terminal then reads "the agent exited", without the status.
const EXITED_0 = /the agent exited( with status 0)?/;
const KILLED_9 = /the agent (was killed by signal 9 \(SIGKILL\)|exited)/;
const SENDER = "0000aaaa";
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ plugins: { "recorder.ts": recorderSource(KEY, "recorder") } });
});

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

function inboxOf(id: string): { message: string; status: string; error: string | null }[] {
  return t.server.db
    .listMessages(id, { limit: 1000 })
    .map(({ message, status, error }) => ({ message, status, error }));
}

async function status(id: string): Promise<string> {
  return (await t.client.getTerminal(id)).status;
}

async function expectRefused(id: string, reason: RegExp): Promise<void> {
  const before = (await t.client.output(id, "full")).output;
  const input = await t.http("POST", `/terminals/${id}/input`, { body: { message: "echo TYPED-AFTER-EXIT" } });
  expect(input.status).toBe(409);
  expect(input.body.detail).toMatch(new RegExp(`^terminal ${id} takes no input: ${reason.source}; nothing was typed$`));
  const exit = await t.http("POST", `/terminals/${id}/exit`);
  expect(exit.status).toBe(409);
  expect(exit.body.detail).toMatch(/cannot exit again/);
  expect((await t.client.output(id, "full")).output).toBe(before);
}

it("exited agent (/exit): status error; a message pending in its inbox fails naming the exit, with no request needed; input and exit are refused (409) and nothing is typed", async () => {
  const terminal = await t.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "quits",
  });
  await t.client.sendInput(terminal.id, { message: "[[delay=1500]] a last task" });
  await waitFor(async () => (await status(terminal.id)) === "processing", 10_000, "the agent to be busy");
  // Typed ahead while it is busy: the agent runs /exit as soon as it has answered, so the message below never
  // finds it idle and stays pending for an agent that is gone.
  expect(await t.client.exitTerminal(terminal.id)).toEqual({ success: true });
  await t.client.sendToInbox(terminal.id, { sender_id: SENDER, message: "anyone there?" });
  expect(inboxOf(terminal.id).map((m) => m.status)).toEqual(["pending"]);
  // Only the inbox is read here (no tmux call): the liveness check must notice the exit by itself.
  await waitFor(() => inboxOf(terminal.id)[0]?.status === "failed", 15_000, "the pending message to fail");
  expect(inboxOf(terminal.id)).toMatchObject([
    { message: "anyone there?", status: "failed", error: expect.stringMatching(new RegExp(`^${EXITED_0.source}$`)) },
  ]);
  expect(await status(terminal.id)).toBe("error");
  await expectRefused(terminal.id, EXITED_0);
  // A message posted now is refused at once (409 naming the exit) instead of being stored to fail later.
  const late = await t.http("POST", `/terminals/${terminal.id}/inbox/messages`, {
    body: { sender_id: SENDER, message: "still nobody?" },
  });
  expect(late.status).toBe(409);
  expect(late.body.detail).toMatch(new RegExp(`^terminal ${terminal.id} takes no messages: ${EXITED_0.source}$`));
  expect(inboxOf(terminal.id)).toHaveLength(1);
  // Nothing was pasted into the dead pane (tmux 3.3 crashes when one is): its server and the session are fine.
  expect(await t.server.tmux.hasSession("cao-quits")).toBe(true);
  await t.client.deleteSession("cao-quits");
});

it("exited agent (POST /exit): the pane stays, dead, showing the agent's last screen; status error, never processing", async () => {
  const terminal = await t.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "exits",
  });
  await t.client.sendInput(terminal.id, { message: "one last answer" });
  await waitFor(async () => (await status(terminal.id)) === "completed", 15_000, "the answer");
  expect(await t.client.exitTerminal(terminal.id)).toEqual({ success: true });
  await waitFor(async () => (await status(terminal.id)) === "error", 10_000, "status error");
  const screen = (await t.client.output(terminal.id, "full")).output;
  expect(screen).toContain("Mock answer (developer): one last answer");
  expect(screen).toContain("bye");
  expect(screen).not.toMatch(/[$#] $/m); // no shell prompt: exec left no shell behind
  await expectRefused(terminal.id, EXITED_0);
  const mark = sink<Received>(KEY).length;
  expect(await t.client.deleteTerminal(terminal.id)).toEqual({ success: true });
  await t.server.registry.drain(5000);
  expect(
    sink<Received>(KEY)
      .slice(mark)
      .map((e) => e.eventType),
  ).toEqual(["terminal_killed", "session_killed"]);
});

it("exited agent (kill -9 of the agent process, found by the pane pid): status error; its pending inbox messages fail with the signal; input refused", async () => {
  const terminal = await t.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "killed",
  });
  await t.client.sendInput(terminal.id, { message: "[[delay=60000]] a long task" });
  await waitFor(async () => (await status(terminal.id)) === "processing", 10_000, "the agent to be busy");
  await t.client.sendToInbox(terminal.id, { sender_id: SENDER, message: "for after the long task" });
  expect(inboxOf(terminal.id).map((m) => m.status)).toEqual(["pending"]);
  const pid = await t.server.tmux.paneProcessId("cao-killed", terminal.name);
  // exec made the pane's own process the agent: no shell sits between them.
  expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("mock-agent");
  process.kill(pid, "SIGKILL");
  await waitFor(async () => (await status(terminal.id)) === "error", 10_000, "status error");
  await waitFor(() => inboxOf(terminal.id)[0]!.status === "failed", 10_000, "the pending message to fail");
  expect(inboxOf(terminal.id)).toMatchObject([
    {
      message: "for after the long task",
      status: "failed",
      error: expect.stringMatching(new RegExp(`^${KILLED_9.source}$`)),
    },
  ]);
  await expectRefused(terminal.id, KILLED_9);
  await t.client.deleteSession("cao-killed");
});

it("exited agent (a window an older CAO made, without exec, back at its shell): status error, and nothing is typed into the shell", async () => {
  const terminal = await t.client.createSession({
    provider: "mock",
    agent_profile: "developer",
    session_name: "shell",
  });
  const target = `=cao-shell:${terminal.name}`;
  // What an older CAO left once its agent had exited: a window without the exec mark, running a bare shell.
  await t.server.tmux.run(["set-option", "-w", "-u", "-t", target, "@cao-exec"]);
  // An empty HOME: the shell reads no rc files, so it is at its prompt at once and closing it later cannot kill it
  // in the middle of one (a login script killed mid-way can leave a lock behind that stalls every later shell).
  const agentScreen = (await t.client.output(terminal.id, "full")).output;
  // Windows run their agent as their own command now: respawn the pane with tmux's default shell instead.
  const shell = (await t.server.tmux.run(["show-options", "-gv", "default-shell"])).trim();
  await t.server.tmux.run(["respawn-pane", "-k", "-e", `HOME=${tempDir("cao-empty-home-")}`, "-t", target, shell]);
  await waitFor(
    async () => (await t.client.output(terminal.id, "full")).output !== agentScreen,
    10_000,
    "the shell's prompt",
  );
  expect((await t.server.tmux.run(["display-message", "-p", "-t", target, "#{pane_current_command}"])).trim()).not.toBe(
    "node",
  );
  expect(await status(terminal.id)).toBe("error");
  const input = await t.http("POST", `/terminals/${terminal.id}/input`, { body: { message: "echo TYPED-INTO-SHELL" } });
  expect(input.status).toBe(409);
  expect(input.body.detail).toMatch(/the agent exited and left its shell \(\w+\) in the pane; nothing was typed/);
  await new Promise((resolve) => setTimeout(resolve, 300)); // a shell would have run it by now
  expect((await t.client.output(terminal.id, "full")).output).not.toContain("TYPED-INTO-SHELL");
  await t.client.deleteSession("cao-shell");
});
