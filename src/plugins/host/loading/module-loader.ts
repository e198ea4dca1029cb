import fs from "node:fs";
import { CaoPaths } from "../../../util/paths.js";
import { createRequire, register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createJiti, type Jiti, type JitiOptions } from "jiti";
import { PACKAGE_ROOT } from "../../../util/package-root.js";
import { safeRealpath } from "../../../util/real-path.js";
import * as publicApi from "../../api/index.js";
import type { PluginSource } from "../discovery/source.js";
import { TranspileCache } from "./transpile-cache.js";

const TYPESCRIPT = /\.[mc]?ts$/;

/**
 * Imports plugin modules. Drop-ins always go through jiti (TypeScript without a build step, and a fresh module
 * instance on every reload because jiti's module cache is off). Helper modules a drop-in imports are loaded by jiti
 * too; `.mjs` helpers (and `.js` ones under "type": "module") are the exception, imported natively by jiti and so
 * cached by Node for the life of the process: a folder plugin should write its helpers as .ts or plain .js.
 * npm packages are compiled code and are imported natively, unless their entry is TypeScript.
 *
 * `cli-agent-orchestrator/plugins` is served to jiti-loaded files as a virtual module holding the running server's
 * own exports, so a drop-in shares the server's classes instead of loading a second copy from disk.
 *
 * What Babel makes of each file is kept on disk by a TranspileCache under `<CAO_HOME>/cache/plugins`.
 */
export class PluginModuleLoader {
  private jiti: Jiti | undefined;
  /** npm plugins asked to be imported afresh (reload), by name: how many times. */
  private readonly generations = new Map<string, number>();
  private readonly cache: TranspileCache;

  constructor(caoHome: string) {
    let babel: Jiti | undefined;
    // jiti's own transform (Babel, loaded on first use) behind the cache; a second jiti instance is the public way
    // to call it.
    const transpile = (options: Parameters<Jiti["transform"]>[0]) => ({
      code: (babel ??= createJiti(import.meta.url, JITI_OPTIONS)).transform(options),
    });
    this.cache = new TranspileCache(CaoPaths.of(caoHome).pluginCache, CACHE_VERSION, transpile);
  }

  /**
   * Starts importing `source`. Everything up to the module's first top-level await happens before this returns:
   * reading the file (synchronously: it is small, and the caller's deadline for this plugin starts right before),
   * transpiling it and running its top level. The promise is the rest, which may never settle.
   */
  import(source: PluginSource): Promise<unknown> {
    if (source.source === "npm" && !TYPESCRIPT.test(source.entry)) {
      const generation = this.generations.get(source.name);
      if (generation === undefined) return import(pathToFileURL(source.entry).href);
      return freshNativeImport(source, generation);
    }
    // A FIFO or device named like a plugin would block the read forever.
    if (!fs.statSync(source.entry).isFile()) throw new Error(`${source.entry} is not a regular file`);
    const code = fs.readFileSync(source.entry, "utf8");
    // evalModule with forceTranspile rather than jiti.import: jiti hands .mjs files (and .js under "type": "module")
    // to Node's native import, whose cache never forgets a module, so a reload would get the old version back.
    return this.getJiti().evalModule(code, {
      filename: source.entry,
      async: true,
      forceTranspile: true,
    }) as Promise<unknown>;
  }

  /**
   * From now on, `source` is imported afresh (docs/contract.md#configyaml's reload, for npm plugins too). Drop-ins and TypeScript
   * entries always are (jiti, module cache off); a compiled npm package is imported natively, which Node caches for
   * good, so its next import carries a new query string (see fresh-import-hooks.ts). The cost: every reload of an npm
   * plugin leaves that version's modules in Node's module map for the life of the process (bench/npm-reload-memory.mjs).
   */
  renew(source: PluginSource): void {
    if (source.source !== "npm") return;
    this.generations.set(source.name, (this.generations.get(source.name) ?? 0) + 1);
  }

  /** Resolves once the transpile cache has written what it was given. */
  cacheWritten(): Promise<void> {
    return this.cache.written();
  }

  private getJiti(): Jiti {
    // Created on first use: it loads a Babel bundle, which a server without TypeScript plugins never needs.
    this.jiti ??= createJiti(import.meta.url, {
      ...JITI_OPTIONS,
      transform: this.cache.transform,
      virtualModules: {
        "cli-agent-orchestrator/plugins": publicApi,
        "cli-agent-orchestrator": publicApi,
      },
    });
    return this.jiti;
  }
}

/** jiti's own disk cache stays off: ours lives in CAO_HOME (not a shared temp dir) and never fails an import. */
const JITI_OPTIONS: JitiOptions = { moduleCache: false, fsCache: false, interopDefault: false };

/** Cached code is reused only from the same versions of this package and of jiti (whose Babel setup made it). */
const CACHE_VERSION = `${readVersion(path.join(PACKAGE_ROOT, "package.json"))}+jiti-${readVersion(createRequire(import.meta.url).resolve("jiti/package.json"))}`;

function readVersion(file: string): string {
  try {
    return String((JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version);
  } catch {
    return "unknown";
  }
}

let hooksRegistered = false;

function freshNativeImport(source: PluginSource, generation: number): Promise<unknown> {
  if (!hooksRegistered) {
    register(new URL("./fresh-import-hooks.js", import.meta.url));
    hooksRegistered = true;
  }
  // CommonJS files are cached by file name, not URL: forget the package's own so they run again.
  // Real paths: an `npm install ../dir` package is a symlink, and Node resolves the package's own imports to real paths.
  const real = safeRealpath(source.path);
  const root = real.endsWith(path.sep) ? real : real + path.sep;
  const cache = createRequire(import.meta.url).cache;
  for (const file of Object.keys(cache)) if (file.startsWith(root)) delete cache[file];
  const rootUrl = pathToFileURL(root).href;
  return import(
    `${pathToFileURL(safeRealpath(source.entry)).href}?cao-reload=${generation}&cao-root=${encodeURIComponent(rootUrl)}`
  );
}
