import fs from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { dropInName, isDropInFile } from "../discovery/dir.js";

/**
 * Watches the drop-in directory and reports which plugin name a change concerns, debounced per name so an
 * editor's write-rename-chmod sequence becomes one reload. Files directly in the directory map to their name;
 * anything inside a sub-folder maps to the folder (a helper file changing reloads the folder's plugin).
 */
export class DropInWatcher {
  private watcher: FSWatcher | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dir: string,
    private readonly debounceMs: number,
    private readonly onChange: (name: string) => void,
  ) {}

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const watcher = watch(this.dir, {
      ignoreInitial: true,
      depth: 2,
      ignored: (file) => isIgnored(path.relative(this.dir, file).split(path.sep)),
    });
    this.watcher = watcher;
    await new Promise<void>((resolve, reject) => {
      watcher.once("ready", () => resolve());
      watcher.once("error", reject);
    });
    watcher.on("all", (_event, file) => this.changed(file));
    // chokidar drops a second `change` of one path within 50 ms, so a save landing while the previous one is being
    // reloaded would be lost and the stale version would keep running. The raw fs.watch events are never
    // throttled; the debounce below folds them and the regular events into one reload per name.
    watcher.on("raw", (_event, changedPath, details) => this.changed(rawEventFile(changedPath, details)));
    watcher.on("error", () => {
      // chokidar reports transient errors (a file vanishing mid-scan); the next event resynchronises
    });
  }

  async close(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private changed(file: string | undefined): void {
    if (file === undefined) return;
    const rel = path.relative(this.dir, file);
    if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) return;
    const parts = rel.split(path.sep);
    if (isIgnored(parts)) return;
    let name: string;
    if (parts.length > 1) name = parts[0]!;
    else if (isDropInFile(parts[0]!)) name = dropInName(parts[0]!);
    else if (!path.extname(parts[0]!))
      name = parts[0]!; // a folder added or removed
    else return;
    clearTimeout(this.timers.get(name));
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        this.onChange(name);
      }, this.debounceMs),
    );
  }
}

/**
 * The file a raw fs.watch event is about: a watched directory reports the child's name, a watched file its own
 * base name. (A folder `x` holding a file `x` is ambiguous, but both readings name the same plugin, `x`.)
 */
function rawEventFile(changedPath: unknown, details: unknown): string | undefined {
  const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
  if (typeof watched !== "string") return undefined;
  if (typeof changedPath !== "string" || changedPath === "" || path.basename(watched) === changedPath) return watched;
  return path.join(watched, changedPath);
}

/** Dotfiles (editor swap files, .git) and node_modules never concern a plugin's reload. */
function isIgnored(parts: string[]): boolean {
  return parts.some((part) => part.startsWith(".") || part === "node_modules");
}
