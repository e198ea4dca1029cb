/**
 * Paste breakout: text typed into an agent is text (docs/contract.md#http-api). A message carrying ESC [201~ used to end the
 * bracketed paste, so `\r/exit\r` after it acted as keystrokes: the agent exited and the next input went to a bare
 * shell. Real server, real HTTP, real tmux, the mock agent (which implements bracketed paste as the real CLIs do).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { typedText } from "../src/util/typed-text.js";
import { removeTempDirs } from "./helpers/fs-fixtures.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { waitFor } from "./helpers/wait.js";

const BREAKOUT = "hello\u001b[201~\r/exit\recho PWNED-BY-PASTE\r";

describe("typedText", () => {
  it("removes ESC, the other C0 controls but tab and newline, DEL and the C1 controls; CR LF and lone CR become LF", () => {
    expect(typedText(BREAKOUT)).toBe("hello[201~\n/exit\necho PWNED-BY-PASTE\n");
    const c0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join("");
    expect(typedText(`a${c0}b`)).toBe("a\t\n\nb"); // tab, LF, and the CR turned into LF
    expect(typedText("a\u007fb\u0080c\u009bd\u009fe")).toBe("abcde");
    expect(typedText("one\r\ntwo\rthree\n")).toBe("one\ntwo\nthree\n");
    // Text stays text: accents, non-breaking space (U+00A0, just past C1), CJK, emoji, right-to-left marks.
    const text = "café\u00a0naïve 日本語 😀 \u200fעברית";
    expect(typedText(text)).toBe(text);
  });
});

describe("through a real server and agent", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(async () => {
    await t?.close();
    removeTempDirs();
  });

  async function answered(id: string, text: string): Promise<string> {
    let screen = "";
    await waitFor(
      async () => (screen = (await t.client.output(id, "full")).output).includes(`Mock answer (developer): ${text}`),
      15_000,
      `the answer to ${text}`,
    );
    return screen;
  }

  async function expectStillRunning(id: string, session: string, window: string): Promise<void> {
    const state = await t.server.tmux.run([
      "display-message",
      "-p",
      "-t",
      `=${session}:${window}`,
      "#{pane_dead} #{pane_current_command}",
    ]);
    expect(state.trim()).toBe("0 node");
    expect((await t.client.getTerminal(id)).status).not.toBe("error");
    await t.client.sendInput(id, { message: "still there?" });
    const screen = await answered(id, "still there?");
    expect(screen).not.toContain("bye"); // the agent never ran /exit
    expect(screen).not.toMatch(/^PWNED-BY-PASTE$/m); // no shell ran the echo
  }

  it("paste breakout: a message with ESC [201~ \\r/exit\\r arrives as text; the agent keeps running and answers the next message; no shell gets input", async () => {
    const terminal = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "breakout",
    });
    expect(await t.client.sendInput(terminal.id, { message: BREAKOUT })).toEqual({ success: true });
    const screen = await answered(terminal.id, "hello[201~");
    expect(screen).toContain("(36 characters, 3 lines received)"); // one message: the text without ESC or CRs
    await expectStillRunning(terminal.id, terminal.session_name, terminal.name);
    await t.client.deleteSession(terminal.session_name);
  });

  it("paste breakout: the inbox delivers such a message as text too", async () => {
    const terminal = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "breakout-inbox",
    });
    await t.client.sendToInbox(terminal.id, { sender_id: "0000aaaa", message: BREAKOUT });
    await answered(terminal.id, "hello[201~");
    await expectStillRunning(terminal.id, terminal.session_name, terminal.name);
    await t.client.deleteSession(terminal.session_name);
  });

  it("paste breakout: TmuxClient.pasteText strips control characters itself (defence in depth, below the service)", async () => {
    const terminal = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "breakout-client",
    });
    expect(await t.server.tmux.pasteText(terminal.session_name, terminal.name, BREAKOUT, 1)).toBeUndefined();
    await answered(terminal.id, "hello[201~");
    await expectStillRunning(terminal.id, terminal.session_name, terminal.name);
    await t.client.deleteSession(terminal.session_name);
  });

  it("a message that is nothing but control characters is refused (400) and nothing is typed", async () => {
    const terminal = await t.client.createSession({
      provider: "mock",
      agent_profile: "developer",
      session_name: "controls",
    });
    const before = (await t.client.output(terminal.id, "full")).output;
    const response = await t.http("POST", `/terminals/${terminal.id}/input`, {
      body: { message: "\u001b\u0003\u0004\u007f\u009b" },
    });
    expect(response).toEqual({
      status: 400,
      body: { detail: "message has no text once control characters are removed" },
    });
    expect((await t.client.output(terminal.id, "full")).output).toBe(before);
    await t.client.deleteSession(terminal.session_name);
  });
});
