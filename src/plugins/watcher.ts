import fs from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { dropInName, isDropInFile } from "./discover-dir.js";

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
      ignored: (file) => {
        const rel = path.relative(this.dir, file);
        return rel.split(path.sep).some((part) => part.startsWith(".") || part === "node_modules");
      },
    });
    this.watcher = watcher;
    await new Promise<void>((resolve, reject) => {
      watcher.once("ready", () => resolve());
      watcher.once("error", reject);
    });
    watcher.on("all", (_event, file) => this.changed(file));
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

  private changed(file: string): void {
    const rel = path.relative(this.dir, file);
    if (!rel || rel.startsWith("..")) return;
    const parts = rel.split(path.sep);
    let name: string;
    if (parts.length > 1) name = parts[0]!;
    else if (isDropInFile(parts[0]!)) name = dropInName(parts[0]!);
    else if (!path.extname(parts[0]!)) name = parts[0]!; // a folder added or removed
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
