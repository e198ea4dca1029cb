import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MessageSentEvent } from "../src/plugins/api/index.js";
import { discoverNpmPlugins } from "../src/plugins/host/discovery/npm.js";
import { discoverDropIns } from "../src/plugins/host/discovery/dir.js";
import { removeTempDirs, tempDir, writeFile, writePackage } from "./helpers/fs-fixtures.js";
import { sink } from "./helpers/recorder.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

/** A plain-object plugin (no import at all), recording into sink(key) under `name`. */
function plainPlugin(key: string, name: string): string {
  return `export default { hooks: { message_sent(event) {
    ((globalThis.__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= []).push({ plugin: ${JSON.stringify(name)}, message: event.message });
  } } };\n`;
}

function message(text: string): MessageSentEvent {
  return new MessageSentEvent({
    sessionId: "cao-s",
    sender: "aaaa0001",
    receiver: "bbbb0002",
    message: text,
    orchestrationType: "send_message",
  });
}

describe("npm discovery (keyword cao-plugin)", () => {
  it("finds tagged packages, scoped ones and npm-link symlinks; skips untagged, nested and broken ones", () => {
    const root = tempDir();
    const nm = path.join(root, "node_modules");
    writePackage(nm, "tagged", { keywords: ["cao-plugin"], main: "index.js" }, { "index.js": "" });
    writePackage(nm, "untagged", { keywords: ["something"], main: "index.js" }, { "index.js": "" });
    writePackage(
      nm,
      "mentions-only-in-description",
      { description: "not a cao-plugin", main: "index.js" },
      { "index.js": "" },
    );
    writePackage(
      nm,
      "@acme/cao-slack",
      { keywords: ["cao-plugin"], exports: { ".": { import: "./esm.mjs", require: "./cjs.cjs" } } },
      {
        "esm.mjs": "",
        "cjs.cjs": "",
      },
    );
    writePackage(
      nm,
      "custom-entry",
      { keywords: ["cao-plugin"], main: "lib/other.js", cao: { plugin: "plugin.js" } },
      { "plugin.js": "", "lib/other.js": "" },
    );
    // a tagged package nested inside another package's node_modules is not a direct child: never scanned
    writePackage(
      path.join(nm, "tagged", "node_modules"),
      "nested-tagged",
      { keywords: ["cao-plugin"] },
      { "index.js": "" },
    );
    // npm link: the package lives elsewhere and node_modules holds a symlink to it
    const linkedDir = writePackage(
      path.join(root, "workspace"),
      "linked",
      { keywords: ["cao-plugin"], main: "main.js" },
      { "main.js": "" },
    );
    fs.symlinkSync(linkedDir, path.join(nm, "linked"), "dir");
    // broken: mentions the keyword but is not JSON; dangling: package.json symlink to nothing
    writeFile(path.join(nm, "broken", "package.json"), '{ "name": "broken", "keywords": ["cao-plugin"], ');
    fs.mkdirSync(path.join(nm, "dangling"));
    fs.symlinkSync(path.join(root, "missing.json"), path.join(nm, "dangling", "package.json"));

    const { sources, problems } = discoverNpmPlugins([nm]);
    const byName = Object.fromEntries(sources.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["@acme/cao-slack", "custom-entry", "linked", "tagged"]);
    expect(byName["@acme/cao-slack"]!.entry).toBe(path.join(nm, "@acme", "cao-slack", "esm.mjs"));
    expect(byName["custom-entry"]!.entry).toBe(path.join(nm, "custom-entry", "plugin.js"));
    expect(byName.linked!.entry).toBe(path.join(nm, "linked", "main.js"));
    expect(byName.tagged).toMatchObject({ source: "npm", version: "1.0.0", path: path.join(nm, "tagged") });
    expect(problems.map((p) => path.basename(path.dirname(p.path)))).toEqual(["broken"]);
    expect(problems[0]!.reason).toMatch(/not valid JSON/);
  });

  it("counts a package reached through two roots once, by real path", () => {
    const root = tempDir();
    const nm = path.join(root, "node_modules");
    writePackage(nm, "twice", { keywords: ["cao-plugin"] }, { "index.js": "" });
    const alias = path.join(root, "alias_modules");
    fs.symlinkSync(nm, alias, "dir");
    const { sources } = discoverNpmPlugins([nm, alias]);
    expect(sources.map((s) => s.name)).toEqual(["twice"]);
  });

  it("reports a tagged package without any entry file", () => {
    const nm = path.join(tempDir(), "node_modules");
    writePackage(nm, "no-entry", { keywords: ["cao-plugin"], main: "missing.js" });
    const { sources, problems } = discoverNpmPlugins([nm]);
    expect(sources).toEqual([]);
    expect(problems[0]!.reason).toMatch(/no entry/);
  });
});

describe("drop-in discovery", () => {
  it("takes plugin files and folder index files, and nothing else", () => {
    const dir = tempDir();
    for (const file of ["a.ts", "b.mts", "c.cts", "d.js", "e.mjs", "f.cjs"]) writeFile(path.join(dir, file), "");
    for (const file of ["types.d.ts", ".hidden.ts", "a.test.ts", "notes.md", "data.json"])
      writeFile(path.join(dir, file), "");
    writeFile(path.join(dir, "folder", "index.ts"), "");
    writeFile(path.join(dir, "folder", "helper.ts"), "");
    writeFile(path.join(dir, "no-index", "main.ts"), "");
    const names = discoverDropIns(dir).sources.map((s) => s.name);
    expect(names).toEqual(["a", "b", "c", "d", "e", "f", "folder"]);
    expect(discoverDropIns(dir).sources.find((s) => s.name === "folder")!.entry).toBe(
      path.join(dir, "folder", "index.ts"),
    );
  });

  it("treats a missing plugins directory as empty, without a problem", () => {
    expect(discoverDropIns(path.join(tempDir(), "nope"))).toEqual({ sources: [], problems: [] });
  });
});

describe("registry discovery end to end", () => {
  it("loads npm plugins from CAO_HOME/node_modules, <cwd>/node_modules and every CAO_PLUGIN_PATHS entry", async () => {
    const key = "discovery-roots";
    const home = tempDir();
    const cwd = tempDir();
    const extraA = path.join(tempDir(), "node_modules");
    const extraB = path.join(tempDir(), "node_modules");
    writePackage(
      path.join(home, "node_modules"),
      "from-home",
      { keywords: ["cao-plugin"] },
      { "index.js": plainPlugin(key, "from-home") },
    );
    writePackage(
      path.join(cwd, "node_modules"),
      "from-cwd",
      { keywords: ["cao-plugin"], type: "module" },
      { "index.js": plainPlugin(key, "from-cwd") },
    );
    writePackage(
      extraA,
      "@team/from-extra",
      { keywords: ["cao-plugin"], type: "module" },
      { "index.js": plainPlugin(key, "from-extra") },
    );
    writePackage(
      extraB,
      "from-extra-b",
      { keywords: ["cao-plugin"], type: "module" },
      { "index.js": plainPlugin(key, "from-extra-b") },
    );
    const { registry, logs } = await startRegistry({
      home,
      cwd,
      env: { CAO_PLUGIN_PATHS: [extraA, extraB].join(path.delimiter) },
    });
    const list = registry.list();
    expect(list.map((p) => [p.name, p.source, p.status])).toEqual([
      ["from-home", "npm", "active"],
      ["from-cwd", "npm", "active"],
      ["@team/from-extra", "npm", "active"],
      ["from-extra-b", "npm", "active"],
    ]);
    expect(list[0]).toMatchObject({
      version: "1.0.0",
      hooks: ["message_sent"],
      path: path.join(home, "node_modules", "from-home"),
    });
    registry.dispatch(message("hello"));
    expect(await registry.drain(2000)).toBe(true);
    expect(
      sink(key)
        .map((r) => (r as unknown as { plugin: string }).plugin)
        .sort(),
    ).toEqual(["from-cwd", "from-extra", "from-extra-b", "from-home"]);
    expect(logs.warnings()).toEqual([]);
  });

  it("on a name clash keeps the first (npm before drop-in) and one WARN names both", async () => {
    const key = "discovery-clash";
    const home = tempDir();
    const pkgDir = writePackage(
      path.join(home, "node_modules"),
      "dup",
      { keywords: ["cao-plugin"], type: "module" },
      { "index.js": plainPlugin(key, "npm") },
    );
    const dropIn = writeFile(path.join(home, "plugins", "dup.mjs"), plainPlugin(key, "dir"));
    const { registry, logs } = await startRegistry({ home });
    expect(registry.list().map((p) => [p.name, p.source])).toEqual([["dup", "npm"]]);
    const warnings = logs.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(pkgDir);
    expect(warnings[0]!.msg).toContain(dropIn);
    registry.dispatch(message("x"));
    await registry.drain(2000);
    expect(sink(key)).toEqual([{ plugin: "npm", message: "x" }]);
  });

  it("warns once about an unreadable package.json and still loads the other plugins", async () => {
    const key = "discovery-broken";
    const home = tempDir();
    const nm = path.join(home, "node_modules");
    writeFile(path.join(nm, "bad", "package.json"), "{ keywords: ['cao-plugin'] oops");
    writePackage(nm, "good", { keywords: ["cao-plugin"], type: "module" }, { "index.js": plainPlugin(key, "good") });
    const { registry, logs } = await startRegistry({ home });
    expect(registry.list().map((p) => p.name)).toEqual(["good"]);
    expect(logs.warnings()).toHaveLength(1);
    expect(logs.warnings()[0]!.msg).toMatch(/bad.*package\.json is not valid JSON/);
  });

  it("recognises a plugin package that bundles its own copy of cli-agent-orchestrator (brand, not instanceof)", async () => {
    const key = "discovery-own-copy";
    const home = tempDir();
    const pkgDir = writePackage(
      path.join(home, "node_modules"),
      "self-contained",
      { keywords: ["cao-plugin"], type: "module", main: "index.js" },
      {
        "index.js": `import { CaoPlugin, hook } from "cli-agent-orchestrator/plugins";
        const out = ((globalThis.__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= []);
        export default class SelfContained extends CaoPlugin {
          seen(event) { out.push({ message: event.message, ownCopy: import.meta.resolve("cli-agent-orchestrator/plugins") }); }
        }
        hook("message_sent")(SelfContained.prototype.seen, { kind: "method", name: "seen", private: false, static: false, addInitializer() {} });
      `,
      },
    );
    const copy = path.join(pkgDir, "node_modules", "cli-agent-orchestrator");
    fs.cpSync(path.resolve("dist"), path.join(copy, "dist"), { recursive: true });
    fs.copyFileSync(path.resolve("package.json"), path.join(copy, "package.json"));
    fs.symlinkSync(path.resolve("node_modules"), path.join(copy, "node_modules"), "dir"); // its installed dependencies
    const { registry } = await startRegistry({ home });
    expect(registry.list()[0], registry.list()[0]!.error).toMatchObject({
      name: "self-contained",
      status: "active",
      hooks: ["message_sent"],
    });
    registry.dispatch(message("own copy"));
    await registry.drain(2000);
    const got = sink(key) as unknown as { message: string; ownCopy: string }[];
    expect(got).toHaveLength(1);
    expect(got[0]!.message).toBe("own copy");
    expect(got[0]!.ownCopy).toContain(path.join("self-contained", "node_modules", "cli-agent-orchestrator"));
  });
});
