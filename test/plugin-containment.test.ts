/**
 * The containment machinery itself, driven through a real registry: what it changes in the process while loaded and
 * that teardown puts everything back, that only plugin code is refused process.exit(), and how a stack is read when
 * the async context cannot tell.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { PluginScope } from "../src/plugins/host/containment/plugin-scope.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

describe("registry teardown restores the process", () => {
  it("process.exit, queueMicrotask and the uncaughtException / unhandledRejection listeners are back as they were", async () => {
    const home = tempDir();
    writeFile(path.join(home, "plugins", "quiet.mjs"), `export default { hooks: { message_sent() {} } };`);
    const before = {
      exit: process.exit,
      queueMicrotask: globalThis.queueMicrotask,
      uncaught: process.listenerCount("uncaughtException"),
      rejections: process.listenerCount("unhandledRejection"),
    };
    const { registry } = await startRegistry({ home, guardUncaughtExceptions: true });
    expect(process.exit).not.toBe(before.exit);
    expect(globalThis.queueMicrotask).not.toBe(before.queueMicrotask);
    expect(process.listenerCount("uncaughtException")).toBe(before.uncaught + 1);
    expect(process.listenerCount("unhandledRejection")).toBe(before.rejections + 1);
    await registry.teardown();
    expect(process.exit).toBe(before.exit);
    expect(globalThis.queueMicrotask).toBe(before.queueMicrotask);
    expect(process.listenerCount("uncaughtException")).toBe(before.uncaught);
    expect(process.listenerCount("unhandledRejection")).toBe(before.rejections);
  });
});

describe("process.exit() under containment", () => {
  it("refused from a plugin's handler (one WARN naming it), while the host's own process.exit(7) still exits with 7", async () => {
    const home = tempDir();
    writeFile(
      path.join(home, "plugins", "quitter.ts"),
      `export default { hooks: { async message_sent() { await Promise.resolve(); process.exit(5); } } };`,
    );
    writeFile(
      path.join(home, "plugins", "good.mjs"),
      `let n = 0; export default { hooks: { message_sent() { n++; } }, teardown() { console.log("GOOD RECEIVED " + n); } };`,
    );
    const dist = path.resolve("dist/index.js");
    const script = `
      import pino from "pino";
      import { PluginRegistry, MessageSentEvent } from ${JSON.stringify(dist)};
      const logger = pino({ level: "info" }, pino.destination({ fd: 2, sync: true }));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger, guardUncaughtExceptions: true });
      await registry.load();
      for (let i = 0; i < 2; i++) registry.dispatch(new MessageSentEvent({ sessionId: "cao-x", sender: "0000aaaa", receiver: "1111bbbb", message: "m" + i, orchestrationType: "assign" }));
      await registry.drain(2000);
      await registry.teardown();
      console.log("ALIVE");
      process.exit(7);
    `;
    const outcome = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(outcome.code).toBe(7);
    expect(outcome.stdout.trim().split("\n")).toEqual(["GOOD RECEIVED 2", "ALIVE"]);
    const warnings = outcome.stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; plugin?: string; msg: string })
      .filter((line) => line.level === 40);
    expect(warnings.map((w) => [w.plugin, w.msg])).toEqual([
      ["quitter", 'plugin "quitter" called process.exit(5): refused, plugins cannot end the process'],
      ["quitter", 'plugin "quitter" called process.exit(5): refused, plugins cannot end the process'],
    ]);
  });

  it("the host's process.exit() while the registry is loaded is not refused", async () => {
    const home = tempDir();
    writeFile(path.join(home, "plugins", "quiet.mjs"), `export default { hooks: { message_sent() {} } };`);
    const dist = path.resolve("dist/index.js");
    const script = `
      import pino from "pino";
      import { PluginRegistry } from ${JSON.stringify(dist)};
      const logger = pino({ level: "info" }, pino.destination({ fd: 2, sync: true }));
      const registry = new PluginRegistry({ env: { CAO_HOME: ${JSON.stringify(home)} }, cwd: ${JSON.stringify(home)}, watch: false, logger, guardUncaughtExceptions: true });
      await registry.load();
      setTimeout(() => process.exit(9), 10);
      setTimeout(() => console.log("NOT EXITED"), 500);
    `;
    const outcome = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(outcome.code).toBe(9);
    expect(outcome.stdout).not.toContain("NOT EXITED");
    expect(outcome.stderr).not.toContain("refused");
  });
});

describe("attribution by stack (when the async context cannot tell)", () => {
  const scope = new PluginScope(false, () => [
    { name: "a", entry: "/p/plugins/a.ts", path: "/p/plugins/a.ts" },
    { name: "folder", entry: "/p/plugins/folder/index.ts", path: "/p/plugins/folder" },
    { name: "ab", entry: "/p/plugins/ab.ts", path: "/p/plugins/ab.ts" },
  ]);

  it("names the plugin whose file is in the stack, and a plugin never claims a sibling whose name starts like it", () => {
    expect(scope.inStack("Error: x\n    at run (/p/plugins/ab.ts:3:9)")).toBe("ab");
    expect(scope.inStack("Error: x\n    at run (file:///p/plugins/a.ts:1:2)")).toBe("a");
    expect(scope.inStack("Error: x\n    at helper (/p/plugins/folder/lib/helper.ts:10:1)")).toBe("folder");
    expect(scope.inStack("Error: x\n    at other (/p/plugins/folderish.ts:1:1)")).toBeUndefined();
    expect(scope.culprit("a string has no stack")).toBeUndefined();
  });
});
