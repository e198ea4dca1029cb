/**
 * The sessions' tmux control clients (src/clients/tmux-control.ts) against real tmux servers of this file's own:
 * what goes through a control client answers as a tmux process does (text staged byte for byte, screens, errors),
 * one client serves a session, answers keep their order, a vanished session or server is "gone", a hung server fails
 * within the deadline, a tmux.conf's destroy-unattached does not take a session, a client outlives no cao-server
 * (not even one killed with output queued), and a tmux without control mode gets processes.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { TmuxClient, TmuxGoneError, TmuxUnavailableError, type TmuxOptions } from "../src/clients/tmux.js";
import { PACKAGE_ROOT } from "../src/util/package-root.js";
import { typedText } from "../src/util/typed-text.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { waitFor } from "./helpers/wait.js";

const sockets: string[] = [];

afterAll(async () => {
  for (const socket of sockets) await new TmuxClient({ socketName: socket }).killServer();
  removeTempDirs();
});

/** A TmuxClient on a tmux server of its own, with one session `s` (window `w`) running `command`. */
async function withSession(command = "sleep 600", options: TmuxOptions = {}): Promise<TmuxClient> {
  const socketName = `cao-control-${process.pid}-${sockets.length + 1}`;
  sockets.push(socketName);
  const tmux = new TmuxClient({ socketName, ...options });
  await tmux.newSession({ session: "s", window: "w", cwd: process.cwd(), env: {}, command });
  return tmux;
}

it("stages text byte for byte: quotes, $ and ~, backslashes, newlines, tabs, Unicode, 100 000 characters", async () => {
  const tmux = await withSession();
  const texts = [
    `'single' "double" $HOME \${HOME} $(id) \`id\` ~ ~/x #{pane_id} #(id) ; \\; {brace} %if 1`,
    "~leading tilde",
    "back\\slash \\n \\t \\\\ \\u0041 trailing\\",
    "line one\nline two\n\n\ttabbed\r\nCRLF",
    "héllo ✓ 日本 🎉",
    "-t looks like a flag",
    "x".repeat(100_000),
  ];
  for (const [i, text] of texts.entries()) {
    await tmux.loadBuffer("s", `staged-${i}`, text);
    expect(await tmux.run(["show-buffer", "-b", `staged-${i}`])).toBe(typedText(text));
  }
  tmux.close();
});

it("answers as a tmux process does: a screen holding lines that look like the protocol's, a probe, a gone window", async () => {
  const tmux = await withSession(
    `sh -c 'printf "%s\\n" "first line" "%begin 1 2 1" "%end 1 2 1" "last line"; sleep 600'`,
  );
  await waitFor(async () => (await tmux.capture("s", "w")).includes("last line"), 5000, "the screen");
  const asProcess = await tmux.run(["capture-pane", "-p", "-J", "-t", "=s:w"]);
  expect(await tmux.capture("s", "w")).toBe(asProcess);
  expect(asProcess).toContain("%end 1 2 1\nlast line\n");
  const probe = await tmux.probe("s", "w");
  expect(probe.screen).toBe(asProcess);
  expect(probe.pane.dead).toBe(false);
  await expect(tmux.capture("s", "nowhere")).rejects.toBeInstanceOf(TmuxGoneError);
  expect(await tmux.capture("s", "w")).toBe(asProcess); // the client is still good after an error
  tmux.close();
});

it("serves a session with one control client, and many requests at once get their own answers, in order", async () => {
  const tmux = await withSession();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => tmux.run(["display-message", "-p", `answer ${i}`], { session: "s" })),
  );
  expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => `answer ${i}\n`));
  const clients = await tmux.run(["list-clients", "-F", "#{client_control_mode} #{session_name}"]);
  expect(clients).toBe("1 s\n");
  tmux.close();
  await waitFor(async () => (await tmux.run(["list-clients"])) === "", 5000, "the control client to leave");
});

it("a session or server gone is TmuxGoneError, and a control client never starts a tmux server", async () => {
  const tmux = await withSession();
  await tmux.capture("s", "w");
  await expect(tmux.capture("other", "w")).rejects.toBeInstanceOf(TmuxGoneError);
  await tmux.killSession("s");
  await expect(tmux.capture("s", "w")).rejects.toBeInstanceOf(TmuxGoneError);
  await tmux.killServer();
  await expect(tmux.probe("s", "w")).rejects.toBeInstanceOf(TmuxGoneError);
  await expect(tmux.run(["list-sessions"])).rejects.toThrow(/no server running|error connecting/);
});

it("a session keeps destroy-unattached off, whatever a tmux.conf says: its control client coming and going does not take it", async () => {
  const tmux = await withSession();
  await tmux.run(["set-option", "-g", "destroy-unattached", "on"]);
  await tmux.newSession({ session: "cao", window: "w", cwd: process.cwd(), env: {}, command: "sleep 600" });
  expect(await tmux.run(["show-options", "-t", "=cao:", "destroy-unattached"])).toBe("destroy-unattached off\n");
  await tmux.capture("cao", "w");
  tmux.close();
  await waitFor(async () => (await tmux.run(["list-clients"])) === "", 5000, "the control client to leave");
  await tmux.capture("cao", "w");
  tmux.close();
  await waitFor(async () => (await tmux.run(["list-clients"])) === "", 5000, "the control client to leave");
  expect(await tmux.hasSession("cao")).toBe(true);
});

it("a hung tmux server: a command fails within the deadline, the client is killed, and the next one works after SIGCONT", async () => {
  const tmux = await withSession("sleep 600", { timeoutMs: 500 });
  await tmux.capture("s", "w");
  const pid = Number((await tmux.run(["display-message", "-p", "#{pid}"])).trim());
  process.kill(pid, "SIGSTOP");
  try {
    const started = Date.now();
    await expect(tmux.capture("s", "w")).rejects.toBeInstanceOf(TmuxUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
  } finally {
    process.kill(pid, "SIGCONT");
  }
  expect(await tmux.run(["display-message", "-p", "back"], { session: "s" })).toBe("back\n");
  tmux.close();
});

it("a tmux without control mode: commands run in processes, and control mode is tried once", async () => {
  const dir = tempDir();
  const log = path.join(dir, "control-attempts.log");
  const fake = path.join(dir, "tmux");
  // tmux older than 3.2 refuses `attach-session -f`; this one refuses -C altogether.
  fs.writeFileSync(
    fake,
    `#!/bin/sh\nfor a in "$@"; do if [ "$a" = "-C" ]; then echo attempt >> ${JSON.stringify(log)}; echo "usage: tmux [-2CDlNuvV]" >&2; exit 1; fi; done\nexec tmux "$@"\n`,
    { mode: 0o755 },
  );
  const tmux = await withSession("sleep 600", { binary: fake });
  for (let i = 0; i < 3; i++)
    expect(await tmux.run(["display-message", "-p", `via a process ${i}`], { session: "s" })).toBe(
      `via a process ${i}\n`,
    );
  await tmux.loadBuffer("s", "staged", "still staged");
  expect(await tmux.run(["show-buffer", "-b", "staged"])).toBe("still staged");
  expect(fs.readFileSync(log, "utf8")).toBe("attempt\n");
});

it("a cao-server killed with answers still queued leaves no control client behind, and kill-server then finishes", async () => {
  const tmux = await withSession();
  const socketName = sockets.at(-1)!;
  // A process of its own (the built client), killed while hundreds of screens are on their way to it.
  const client = pathToFileURL(path.join(PACKAGE_ROOT, "dist", "clients", "tmux.js")).href;
  const script = `const { TmuxClient } = await import(${JSON.stringify(client)});
    const tmux = new TmuxClient({ socketName: ${JSON.stringify(socketName)} });
    await tmux.capture("s", "w");
    for (let i = 0; i < 300; i++) tmux.capture("s", "w", 2000).catch(() => {});
    setImmediate(() => process.kill(process.pid, "SIGKILL"));
    setInterval(() => {}, 1000);`;
  await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]).catch(() => undefined);
  await waitFor(async () => (await tmux.run(["list-clients"])) === "", 5000, "the orphaned control client to go");
  await tmux.killServer();
  await waitFor(
    async () =>
      (await tmux.run(["list-sessions"]).catch((error: Error) => error.message)).includes("no server running"),
    5000,
    "the tmux server to exit",
  );
});
