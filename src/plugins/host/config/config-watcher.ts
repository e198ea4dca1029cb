import fs from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { safeRealpath } from "../../../util/real-path.js";

/**
 * Watches config.yaml and calls `onChange` once per burst of changes (debounced). The directory is watched, not the
 * file: editors save by writing a temporary file and renaming it over the original, which a watch on the file itself
 * would lose, and the file may not exist yet.
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
  ) {}

  async start(): Promise<void> {
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    // A symlinked config.yaml (dotfiles) is edited at its target: that directory is watched too.
    const real = safeRealpath(this.file);
    const dirs = [...new Set([dir, path.dirname(real)])];
    const bases = new Set([path.basename(this.file), path.basename(real)]);
    const watcher = watch(dirs, {
      ignoreInitial: true,
      depth: 0,
      ignored: (p) => !dirs.includes(p) && !bases.has(path.basename(p)),
    });
    this.watcher = watcher;
    await new Promise<void>((resolve, reject) => {
      watcher.once("ready", () => resolve());
      watcher.once("error", reject);
    });
    watcher.on("all", (_event, changed) => {
      if (bases.has(path.basename(changed))) this.changed();
    });
    // chokidar drops a second `change` of one path within 50 ms; the raw events are never throttled (as in DropInWatcher).
    watcher.on("raw", (_event, changed) => {
      if (typeof changed === "string" && bases.has(path.basename(changed))) this.changed();
    });
    watcher.on("error", () => {
      // transient (the file vanishing mid-rename); the next event resynchronises
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, this.debounceMs);
  }
}
