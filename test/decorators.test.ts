import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MessageSentEvent, SessionCreatedEvent, SessionKilledEvent } from "../src/plugins/api/index.js";
import { removeTempDirs, tempDir, writeFile, writePackage } from "./helpers/fs-fixtures.js";
import { pluginFixture } from "./helpers/plugin-fixtures.js";
import { sink } from "./helpers/recorder.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

afterEach(stopRegistries);
afterAll(removeTempDirs);

/** Every decorator shape the contract names (test/fixtures/plugins/decorated.ts), run three ways below. */
const DECORATED = pluginFixture("decorated.ts");

const EXPECTED = [
  "setup",
  "lifecycle:session_created",
  "first:m1",
  "second:m1",
  "lifecycle:session_killed",
  "teardown",
];
const EXPECTED_HOOKS = ["session_created", "session_killed", "message_sent"];

/** Loads the plugins of `home` (drop-ins and node_modules), sends three events, tears down; what sink(key) got. */
async function runAndRecord(home: string, key: string) {
  const { registry, logs } = await startRegistry({ home });
  const listed = registry.list();
  registry.dispatch(new SessionCreatedEvent({ sessionId: "cao-d", sessionName: "cao-d" }));
  registry.dispatch(
    new MessageSentEvent({
      sessionId: "cao-d",
      sender: "a0a0a0a0",
      receiver: "b1b1b1b1",
      message: "m1",
      orchestrationType: "handoff",
    }),
  );
  registry.dispatch(new SessionKilledEvent({ sessionId: "cao-d", sessionName: "cao-d" }));
  await registry.drain(2000);
  await registry.teardown();
  return { listed, received: sink<string>(key), warnings: logs.warnings() };
}

/** A package compiled by the real tsc with the given decorator mode, installed into a temp node_modules. */
function compiledPackage(experimentalDecorators: boolean): { home: string } {
  const home = tempDir("cao-deco-");
  const src = path.join(home, "src");
  writeFile(path.join(src, "index.ts"), DECORATED);
  const pkgDir = writePackage(
    path.join(home, "node_modules"),
    `deco-${experimentalDecorators ? "legacy" : "standard"}`,
    {
      keywords: ["cao-plugin"],
      type: "module",
      main: "dist/index.js",
      peerDependencies: { "cli-agent-orchestrator": "*" },
    },
  );
  // The peer dependency, as npm would place it: next to the plugin package, resolving to this repository's build.
  fs.symlinkSync(path.resolve("."), path.join(home, "node_modules", "cli-agent-orchestrator"), "dir");
  writeFile(
    path.join(home, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: true,
        experimentalDecorators,
        emitDecoratorMetadata: experimentalDecorators,
        outDir: path.join(pkgDir, "dist"),
        rootDir: src,
      },
      include: [src],
    }),
  );
  writeFile(path.join(home, "package.json"), JSON.stringify({ type: "module" }));
  execFileSync(
    process.execPath,
    [path.resolve("node_modules/typescript/bin/tsc"), "-p", path.join(home, "tsconfig.json")],
    { stdio: "pipe" },
  );
  return { home };
}

describe("@hook under every decorator implementation", () => {
  it("works in a .ts drop-in loaded through jiti (Babel's legacy transform)", async () => {
    const home = tempDir("cao-deco-");
    writeFile(path.join(home, "plugins", "decorated.ts"), DECORATED);
    const result = await runAndRecord(home, "decorated");
    expect(result.listed[0]).toMatchObject({
      name: "decorated",
      source: "dir",
      status: "active",
      hooks: EXPECTED_HOOKS,
    });
    expect(result.received).toEqual(EXPECTED);
    expect(result.warnings).toEqual([]);
  });

  it("works in a package compiled by tsc with standard (TC39) decorators", async () => {
    const { home } = compiledPackage(false);
    const compiled = fs.readFileSync(path.join(home, "node_modules", "deco-standard", "dist", "index.js"), "utf8");
    expect(compiled).toContain("__esDecorate"); // really the standard decorator emit
    const result = await runAndRecord(home, "deco-standard");
    expect(result.listed[0]).toMatchObject({
      name: "deco-standard",
      source: "npm",
      status: "active",
      hooks: EXPECTED_HOOKS,
    });
    expect(result.received).toEqual(EXPECTED);
  });

  it("works in a package compiled by tsc with experimentalDecorators (and emitDecoratorMetadata)", async () => {
    const { home } = compiledPackage(true);
    const compiled = fs.readFileSync(path.join(home, "node_modules", "deco-legacy", "dist", "index.js"), "utf8");
    expect(compiled).toContain("__decorate("); // really the legacy decorator emit
    const result = await runAndRecord(home, "deco-legacy");
    expect(result.listed[0]).toMatchObject({
      name: "deco-legacy",
      source: "npm",
      status: "active",
      hooks: EXPECTED_HOOKS,
    });
    expect(result.received).toEqual(EXPECTED);
  });

  it("registers a TC39-decorated private method through its initializer", async () => {
    const key = "deco-private";
    const home = tempDir("cao-deco-");
    writeFile(
      path.join(home, "plugins", "private-hook.mjs"),
      `import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
       const out = ((globalThis.__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= []);
       // Hand-applied the way a TC39 runtime applies a decorator to a private method.
       const inits = [];
       const decorate = hook("message_sent");
       function secret(event) { out.push("private:" + event.message); }
       decorate(secret, { kind: "method", name: "#secret", private: true, static: false, addInitializer: (fn) => inits.push(fn) });
       export default class WithPrivate extends CaoPlugin { constructor() { super(); for (const fn of inits) fn.call(this); } }`,
    );
    const result = await runAndRecord(home, key);
    expect(result.listed[0]).toMatchObject({ status: "active", hooks: ["message_sent"] });
    expect(result.received).toEqual(["private:m1"]);
  });

  it("rejects @hook on something that is not a method, with a clear error", async () => {
    const { hook } = await import("../src/plugins/api/index.js");
    expect(() =>
      (hook("message_sent") as unknown as (v: unknown, c: unknown) => void)(undefined, {
        kind: "field",
        name: "x",
        addInitializer() {},
      }),
    ).toThrow(/decorates methods, not a field/);
    expect(() => hook("" as "message_sent")).toThrow(/needs an event type/);
  });
});
