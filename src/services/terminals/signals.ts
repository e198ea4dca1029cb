/**
 * What happens in a terminal's life, told to whoever listens: the inbox (fails what can no longer be delivered), the
 * status monitor (a new terminal's baseline) and the reconciler (forget what vanished). The terminals package knows
 * none of them; they subscribe here (docs/architecture.md, "A terminal's life").
 */
import type { Logger } from "pino";
import type { TerminalRecord } from "../../clients/database.js";
import type { TerminalStatus } from "../../contract/vocabulary.js";

export interface TerminalSignalMap {
  /** The agent came up, first read as `status`, before terminal_created is announced. */
  started: { id: string; status: TerminalStatus };
  /** The agent was found exited (pane dead, or back at a shell); told each time it is found so, with the reason. */
  exited: { record: TerminalRecord; reason: string };
  /** The terminal was forgotten (deleted, or its window vanished); `why` is what its pending messages fail with. */
  gone: { record: TerminalRecord; why: string };
  /** A tmux call found a window gone: whatever else vanished should be forgotten now (awaited). */
  vanished: Record<string, never>;
}

type Listener<K extends keyof TerminalSignalMap> = (payload: TerminalSignalMap[K]) => unknown;

export class TerminalSignals {
  private readonly listeners: { [K in keyof TerminalSignalMap]: Set<Listener<K>> } = {
    started: new Set(),
    exited: new Set(),
    gone: new Set(),
    vanished: new Set(),
  };

  constructor(private readonly logger: Logger) {}

  /** Subscribes `listener`; returns its undo. */
  on<K extends keyof TerminalSignalMap>(name: K, listener: Listener<K>): () => void {
    const set = this.listeners[name] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Tells every listener and waits for those that return a promise; a listener's failure is a WARN, never the caller's. */
  async emit<K extends keyof TerminalSignalMap>(name: K, payload: TerminalSignalMap[K]): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const listener of this.listeners[name] as Set<Listener<K>>) {
      try {
        const result = listener(payload);
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.failed(name, error)));
      } catch (error) {
        this.failed(name, error);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  private failed(name: string, error: unknown): void {
    this.logger.warn(
      { err: error },
      `a listener of the terminal signal "${name}" failed: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}
