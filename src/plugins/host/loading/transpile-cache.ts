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
  /** Entry names present in the directory: listed once, then kept up to date by our own writes. */
  private entries: Set<string> | undefined;
  private usable: boolean | undefined;
  private readonly writes = new Set<Promise<void>>();
  private writeCount = 0;

  /** `version` names what produced the code (this package's and jiti's versions); another version misses. */
  constructor(dir: string, version: string, transpile: (options: TransformOptions) => TransformResult) {
    this.dir = dir;
    this.version = version;
    this.transpile = transpile;
  }

  /** A jiti `transform` function. */
  readonly transform = (options: TransformOptions): TransformResult => {
    const entries = options.filename ? this.listing() : undefined;
    if (!entries) return this.transpile(options);
    const name = `${hash(options.filename!).slice(0, 24)}${options.async ? ".mjs" : ".cjs"}`;
    const file = path.join(this.dir, name);
    const header = `// ${hash(JSON.stringify([this.version, options.ts, options.async, options.jsx, options.interopDefault, options.retainLines, options.babel]) + options.source)}\n`;
    // Looked up in the listing, not on disk: a failed read throws an error that costs about a millisecond with jiti's
    // deep stack, and even existsSync queues behind the entries being created in the same directory (measured: a
    // third of a cold start with 300 drop-ins).
    if (entries.has(name)) {
      try {
        const cached = fs.readFileSync(file, "utf8");
        if (cached.startsWith(header)) return { code: cached.slice(header.length) };
      } catch {
        // gone meanwhile, or unreadable: transpile
      }
    }
    const result = this.transpile(options);
    // jiti reports a syntax error as code that throws it: never keep that, the fixed file must be transpiled.
    if (!result.error && !result.code.includes("__JITI_ERROR__")) this.store(name, header + result.code);
    return result;
  };

  /** Resolves once every entry being written has been written (or given up). */
  async written(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes);
  }

  /** The entries on disk, or undefined when the directory cannot be made or read (then the cache is off). */
  private listing(): Set<string> | undefined {
    if (this.usable === undefined) {
      try {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.entries = new Set(fs.readdirSync(this.dir));
        this.usable = true;
      } catch {
        this.usable = false;
      }
    }
    return this.entries;
  }

  /**
   * Written in the background (creating a file costs far more than reading one, and start-up transpiles many in a
   * row), aside and then renamed: a reader (another cao-server on the same CAO_HOME) sees the old entry or the new.
   */
  private store(name: string, text: string): void {
    const file = path.join(this.dir, name);
    const temporary = `${file}.${process.pid}-${++this.writeCount}.tmp`;
    const write = fs.promises
      .writeFile(temporary, text, { mode: 0o600 })
      .then(() => fs.promises.rename(temporary, file))
      .then(() => void this.entries?.add(name))
      .catch(() => fs.promises.rm(temporary, { force: true }).catch(() => undefined))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
