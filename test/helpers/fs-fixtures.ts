import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const made: string[] = [];

/** A fresh directory under the OS temp dir; removed by `removeTempDirs()` (call it in afterAll/afterEach). */
export function tempDir(prefix = "cao-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function writeFile(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Writes `node_modules/<name>/package.json` (and files) for an npm-discovery fixture. */
export function writePackage(
  nodeModules: string,
  name: string,
  manifest: Record<string, unknown>,
  files: Record<string, string> = {},
): string {
  const dir = path.join(nodeModules, ...name.split("/"));
  writeFile(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }, null, 2));
  for (const [file, text] of Object.entries(files)) writeFile(path.join(dir, file), text);
  return dir;
}
