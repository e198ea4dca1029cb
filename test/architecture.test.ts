/**
 * The architecture rules (docs/architecture.md), checked on the code itself: no import cycle anywhere in src/ (static
 * imports, `export … from`, `import()` of a literal, type-only imports included); the contract (src/contract/) imports
 * nothing; the plugin API (src/plugins/api/, what plugin authors import as `cli-agent-orchestrator/plugins`) imports
 * nothing outside itself but the contract — no fs, pino, jiti, chokidar, fast-glob, host or services; the clients
 * (src/clients/) import neither services nor the plugin host; src/util/ imports nothing of src/ outside itself. The
 * built package is checked in a real Node process: importing `./plugins` resolves no module outside
 * dist/plugins/api/ and dist/contract/, while `./host` (the control) does load jiti, chokidar, pino.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../src/util/package-root.js";
import { findCycles, importGraph, importsOf, sourceFiles, type ImportGraph } from "./helpers/import-graph.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";

const run = promisify(execFile);
afterAll(removeTempDirs);

const SRC = path.join(PACKAGE_ROOT, "src");
const API_DIR = path.join(SRC, "plugins", "api");
const CONTRACT_DIR = path.join(SRC, "contract");
const rel = (file: string) => path.relative(PACKAGE_ROOT, file);
const within = (dir: string, file: string | undefined): boolean =>
  file !== undefined && file.startsWith(dir + path.sep);

/** Every import of the files under `dir` that `allowed` refuses, as "file imports specifier (target)" lines. */
function violations(dir: string, allowed: (target: string | undefined) => boolean): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(dir)) {
    for (const edge of importsOf(file)) {
      if (!allowed(edge.target))
        found.push(`${rel(file)} imports "${edge.specifier}"${edge.target ? ` (${rel(edge.target)})` : ""}`);
    }
  }
  return found;
}
describe("the import graph of src/", () => {
  it("the cycle finder finds a cycle and names its path (so the check below can fail)", () => {
    const graph: ImportGraph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(findCycles(graph)).toEqual([
      ["a", "b", "c", "a"],
      ["e", "e"],
    ]);
    expect(
      findCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("reads static imports, export-from, import() and require() of literals, and ignores comments and strings", () => {
    const dir = tempDir();
    for (const name of ["a", "b", "c", "d", "e", "f"]) writeFile(path.join(dir, `${name}.ts`), "export {};\n");
    const file = writeFile(
      path.join(dir, "main.ts"),
      `import { x } from "./a.js";
       import type { T } from "./b.js";
       export * from "./c.js";
       const later = await import("./d.js");
       // import "./commented.js";
       const text = 'import("./in-a-string.js")';
       export { type U } from "./e.js";
       import "node:fs";
       const cjs = require("./f.js");`,
    );
    const edges = importsOf(file).map((e) => [e.specifier, e.target && path.basename(e.target), e.typeOnly]);
    expect(edges).toEqual([
      ["./a.js", "a.ts", false],
      ["./b.js", "b.ts", true],
      ["./c.js", "c.ts", false],
      ["./d.js", "d.ts", false],
      ["./e.js", "e.ts", true],
      ["node:fs", undefined, false],
      ["./f.js", "f.ts", false],
    ]);
  });

  it("has no import cycle (type-only imports count too: a type cycle is a design cycle)", () => {
    const graph = importGraph(sourceFiles(SRC));
    expect(graph.size).toBeGreaterThan(50);
    const cycles = findCycles(graph).map((cycle) => cycle.map(rel).join("\n  → "));
    expect(cycles, `import cycles in src/:\n  ${cycles.join("\n\n  ")}`).toEqual([]);
  });

  it("src/plugins/api/ imports only itself and the contract (no node builtins, no packages, nothing of host/, services/, util/)", () => {
    expect(sourceFiles(API_DIR).map((f) => path.basename(f))).toContain("index.ts");
    const found = violations(API_DIR, (target) => within(API_DIR, target) || within(CONTRACT_DIR, target));
    expect(found, "the plugin API must stay free of fs, pino, jiti, chokidar, fast-glob, host/ and services/").toEqual(
      [],
    );
  });

  it("src/contract/ imports nothing but itself: the server, the clients, the plugin API and the dashboard all read it", () => {
    expect(sourceFiles(CONTRACT_DIR).length).toBeGreaterThan(2);
    expect(violations(CONTRACT_DIR, (target) => within(CONTRACT_DIR, target))).toEqual([]);
  });

  it("src/services/terminals/ (a terminal's life) imports none of its listeners: the inbox, the status monitor, the reconciler", () => {
    const listeners = ["inbox-service.ts", "status-monitor.ts", "reconciler.ts"].map((file) =>
      path.join(SRC, "services", file),
    );
    expect(sourceFiles(path.join(SRC, "services", "terminals")).length).toBeGreaterThan(3);
    expect(
      violations(
        path.join(SRC, "services", "terminals"),
        (target) => target === undefined || !listeners.includes(target),
      ),
    ).toEqual([]);
  });

  it("src/util/ imports nothing of src/ outside itself: every layer uses it, so it sits below them all", () => {
    const UTIL_DIR = path.join(SRC, "util");
    expect(sourceFiles(UTIL_DIR).length).toBeGreaterThan(5);
    expect(violations(UTIL_DIR, (target) => !within(SRC, target) || within(UTIL_DIR, target))).toEqual([]);
  });

  it("src/clients/ imports neither the services nor the plugin host (it talks to them over HTTP, or is below them)", () => {
    const found = violations(
      path.join(SRC, "clients"),
      (target) => !within(path.join(SRC, "services"), target) && !within(path.join(SRC, "plugins", "host"), target),
    );
    expect(found).toEqual([]);
  });
});

describe("the built entry points", () => {
  /**
   * Runs Node with a module-resolution hook that appends every URL it resolves to a file, imports `entry` from dist,
   * and returns the resolved URLs. The hook sees every import of the process (static, dynamic, createRequire'd ESM
   * included), so a module that is loaded at all shows up here.
   */
  async function resolvedBy(entry: string): Promise<string[]> {
    const dir = tempDir();
    const log = path.join(dir, "resolved.txt");
    const hooks = writeFile(
      path.join(dir, "hooks.mjs"),
      `import fs from "node:fs";
       let log;
       export function initialize(data) { log = data.log; }
       export async function resolve(specifier, context, next) {
         const result = await next(specifier, context);
         fs.appendFileSync(log, result.url + "\\n");
         return result;
       }`,
    );
    const register = writeFile(
      path.join(dir, "register.mjs"),
      `import { register } from "node:module";
       register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });`,
    );
    const target = pathToFileURL(path.join(PACKAGE_ROOT, "dist", entry)).href;
    await run(
      process.execPath,
      [
        "--import",
        pathToFileURL(register).href,
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(target)});`,
      ],
      {
        cwd: dir,
        timeout: 20_000,
      },
    );
    return fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  }

  const loaded = (urls: string[], pkg: string) => urls.some((u) => u.includes(`/node_modules/${pkg}/`));

  it("cli-agent-orchestrator/plugins (dist/plugins/api) loads nothing outside itself and the contract: no jiti, chokidar, pino, fast-glob, fs", async () => {
    const urls = await resolvedBy("plugins/api/index.js");
    const apiDist = pathToFileURL(path.join(PACKAGE_ROOT, "dist", "plugins", "api")).href + "/";
    const contractDist = pathToFileURL(path.join(PACKAGE_ROOT, "dist", "contract")).href + "/";
    expect(urls.length).toBeGreaterThan(1);
    expect(urls.filter((u) => !u.startsWith(apiDist) && !u.startsWith(contractDist))).toEqual([]);
    for (const pkg of ["jiti", "chokidar", "pino", "fast-glob"]) expect(loaded(urls, pkg), pkg).toBe(false);
    expect(urls.filter((u) => u === "node:fs" || u === "node:fs/promises")).toEqual([]);
  });

  it("the control: cli-agent-orchestrator/host does load jiti, chokidar and pino, so the check above would see them", async () => {
    const urls = await resolvedBy("plugins/host/index.js");
    for (const pkg of ["jiti", "chokidar", "pino"]) expect(loaded(urls, pkg), pkg).toBe(true);
    expect(urls).toContain("node:fs");
  });

  it("package.json maps ./plugins and ./host to those files", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as {
      exports: Record<string, { default: string }>;
    };
    expect(manifest.exports["./plugins"]!.default).toBe("./dist/plugins/api/index.js");
    expect(manifest.exports["./host"]!.default).toBe("./dist/plugins/host/index.js");
  });
});
