/** The global setup's staleness rule, on a temporary package: what makes dist/ count as older than src/. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { staleModules } from "./global-setup.js";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";

afterAll(removeTempDirs);

it("a src module without a compiled file, or newer than it, is stale; an up-to-date tree is not", () => {
  const root = tempDir();
  const past = new Date(Date.now() - 60_000);
  for (const name of ["a", "sub/b", "sub/c"]) {
    fs.utimesSync(writeFile(path.join(root, "src", `${name}.ts`), "export {};"), past, past);
    writeFile(path.join(root, "dist", `${name}.js`), "export {};");
  }
  writeFile(path.join(root, "src", "types.d.ts"), "export {};"); // declarations compile to nothing
  expect(staleModules(root)).toEqual([]);
  writeFile(path.join(root, "src", "sub", "b.ts"), "export const b = 1;"); // edited after the build
  fs.rmSync(path.join(root, "dist", "a.js")); // never built
  expect(staleModules(root).sort()).toEqual([path.join("src", "a.ts"), path.join("src", "sub", "b.ts")]);
});

it("the real package is up to date once the global setup has run", () => {
  expect(staleModules(path.resolve(import.meta.dirname, ".."))).toEqual([]);
});
