import fs from "node:fs";
import type { Logger } from "pino";

const LOG_SUFFIX = ".log";

/**
 * Tells which terminals just printed something. tmux pipe-pane appends every byte a pane prints to
 * `<logs>/<terminal id>.log`, so one fs.watch on that directory (one inotify watch, whatever the number of
 * terminals) replaces polling every pane. Listeners get the terminal id; they must be cheap, since a busy agent's
 * spinner fires this many times a second.
 */
export class PaneActivity {
  private watcher: fs.FSWatcher | undefined;
  private readonly listeners = new Set<(terminalId: string) => void>();

  constructor(
    private readonly logDir: string,
    private readonly logger: Logger,
  ) {}

  /** Starts watching; false when the platform refused (callers then rely on their slow polls). */
  start(): boolean {
    if (this.watcher) return true;
    try {
      fs.mkdirSync(this.logDir, { recursive: true });
      const watcher = fs.watch(this.logDir, { persistent: false }, (_event, file) => {
        if (typeof file === "string" && file.endsWith(LOG_SUFFIX)) this.emit(file.slice(0, -LOG_SUFFIX.length));
      });
      watcher.on("error", (error) => {
        this.logger.warn({ err: error }, `watching ${this.logDir} stopped (${error.message}); falling back to polling`);
        this.stop();
      });
      this.watcher = watcher;
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error },
        `cannot watch ${this.logDir} (${(error as Error).message}); falling back to polling`,
      );
      return false;
    }
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Subscribes; returns the unsubscriber. */
  onActivity(listener: (terminalId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private emit(terminalId: string): void {
    for (const listener of this.listeners) listener(terminalId);
  }
}
