/**
 * The transpile cache under CAO_HOME/cache/plugins: a second registry over the same home takes each unchanged
 * drop-in's code from it, a changed file is transpiled again, and a cache that cannot be written never fails a
 * plugin. Real files, real jiti (Babel), real registries.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { removeTempDirs, tempDir, writeFile } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

/** A drop-in that publishes `word` (through its hooks table) where the test can read it. */
const source = (word: string) => `
import { definePlugin } from "cli-agent-orchestrator/plugins";
const word: string = ${JSON.stringify(word)};
export default definePlugin({ hooks: { [word]: () => {} } });
`;

async function hooksOf(home: string): Promise<string[] | undefined> {
  const { registry } = await startRegistry({ home });
  const row = registry.list().find((p) => p.name === "word");
  return row?.status === "active" ? row.hooks : [`failed: ${row?.error}`];
}

function cacheEntries(home: string): string[] {
  const dir = path.join(home, "cache", "plugins");
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((file) => path.join(dir, file)) : [];
}

it("a restart takes an unchanged drop-in's code from the cache; a changed file is transpiled again", async () => {
  const home = tempDir();
  const file = writeFile(path.join(home, "plugins", "word.ts"), source("alpha"));
  expect(await hooksOf(home)).toEqual(["alpha"]);
  const [entry, ...others] = cacheEntries(home);
  expect(others).toEqual([]);
  // Prove the next load reads the entry: change the cached code (not the source) and see the change take effect.
  fs.writeFileSync(entry!, fs.readFileSync(entry!, "utf8").replace('"alpha"', '"from-cache"'));
  expect(await hooksOf(home)).toEqual(["from-cache"]);
  // The source changes: its hash no longer matches the entry, so it is transpiled again and the entry replaced.
  fs.writeFileSync(file, source("beta"));
  expect(await hooksOf(home)).toEqual(["beta"]);
  expect(cacheEntries(home)).toEqual([entry]);
  expect(fs.readFileSync(entry!, "utf8")).toContain('"beta"');
});

it("a syntax error is never cached: once the file is fixed it loads", async () => {
  const home = tempDir();
  const file = writeFile(path.join(home, "plugins", "word.ts"), `export default {{ broken`);
  expect((await hooksOf(home))?.[0]).toMatch(/^failed: import failed/);
  expect(cacheEntries(home)).toEqual([]);
  fs.writeFileSync(file, source("fixed"));
  expect(await hooksOf(home)).toEqual(["fixed"]);
});

it("a cache directory that cannot be created turns the cache off; plugins still load", async () => {
  const home = tempDir();
  writeFile(path.join(home, "plugins", "word.ts"), source("uncached"));
  writeFile(path.join(home, "cache"), "a file where the cache directory would go");
  expect(await hooksOf(home)).toEqual(["uncached"]);
  expect(fs.readFileSync(path.join(home, "cache"), "utf8")).toBe("a file where the cache directory would go");
});
