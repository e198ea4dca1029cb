import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TransformOptions, TransformResult } from "jiti";

/**
 * Keeps what Babel made of each plugin file (`<CAO_HOME>/cache/plugins`, one file per source path), so a restart
 * evaluates every unchanged drop-in without transpiling it, and without loading Babel at all when nothing changed.
 * Transpiling is most of a start-up with many drop-ins; evaluating is cheap.
 *
 * An entry is used only when its first line holds the hash of exactly this source and these options (and of the
 * versions that produced it); anything else is transpiled again and the entry replaced. Only code is cached, never a
 * module: every import still evaluates afresh, so hot reload gets a new module each time. The cache can never fail
 * a plugin: a directory it cannot create turns it off, an entry it cannot write is skipped.
 */
export class TranspileCache {
  private readonly dir: string;
  private readonly version: string;
  private readonly transpile: (options: TransformOptions) => TransformResult;
  private usable: boolean | undefined;

  /** `version` names what produced the code (this package's and jiti's versions); another version misses. */
  constructor(dir: string, version: string, transpile: (options: TransformOptions) => TransformResult) {
    this.dir = dir;
    this.version = version;
    this.transpile = transpile;
  }

  /** A jiti `transform` function. */
  readonly transform = (options: TransformOptions): TransformResult => {
    if (!options.filename || !this.ready()) return this.transpile(options);
    const file = path.join(this.dir, `${hash(options.filename).slice(0, 24)}${options.async ? ".mjs" : ".cjs"}`);
    const header = `// ${hash(JSON.stringify([this.version, options.ts, options.async, options.jsx, options.interopDefault, options.retainLines, options.babel]) + options.source)}\n`;
    try {
      const cached = fs.readFileSync(file, "utf8");
      if (cached.startsWith(header)) return { code: cached.slice(header.length) };
    } catch {
      // not cached yet
    }
    const result = this.transpile(options);
    // jiti reports a syntax error as code that throws it: never keep that, the fixed file must be transpiled.
    if (!result.error && !result.code.includes("__JITI_ERROR__")) this.store(file, header + result.code);
    return result;
  };

  private ready(): boolean {
    if (this.usable === undefined) {
      try {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.usable = true;
      } catch {
        this.usable = false;
      }
    }
    return this.usable;
  }

  /** Written aside, then renamed: a reader (another cao-server on the same CAO_HOME) sees the old entry or the new. */
  private store(file: string, text: string): void {
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, text, { mode: 0o600 });
      fs.renameSync(temporary, file);
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
