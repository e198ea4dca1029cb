import fs from "node:fs";
import path from "node:path";
import type { OperationGate } from "../operation-gate.js";
import type { HookTokens } from "./hook-tokens.js";

/** What the launcher needs to give an agent its hooks (docs/agent-hooks.md). */
export interface AgentHookLaunch {
  tokens: HookTokens;
  /** cao-hook's absolute path. */
  command: string;
  /** The marker file cao-hook looks at when it cannot reach the server. */
  marker: string;
  /** Whether a failClosed `pre_tool_use` interceptor is registered now. */
  failClosed(): boolean;
  timeoutSeconds: number;
}

/**
 * Keeps the fail-closed marker in step with the interceptors: present while a failClosed `pre_tool_use` interceptor is
 * registered, so that an agent whose hook cannot reach the server (stopped, restarting) blocks its tools then rather
 * than running them unchecked. Checked every second: plugins come and go by hot reload.
 */
export class FailClosedMarker {
  private timer: NodeJS.Timeout | undefined;
  private present: boolean | undefined;

  constructor(
    private readonly file: string,
    private readonly gate: OperationGate,
    private readonly onError: (error: unknown) => void,
  ) {}

  failClosed(): boolean {
    return this.gate.failsClosed?.("pre_tool_use") ?? false;
  }

  sync(): void {
    const wanted = this.failClosed();
    if (wanted === this.present) return;
    try {
      if (wanted) {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        fs.writeFileSync(this.file, "a failClosed pre_tool_use interceptor is registered\n");
      } else fs.rmSync(this.file, { force: true });
      this.present = wanted;
    } catch (error) {
      this.onError(error);
    }
  }

  start(periodMs = 1000): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), periodMs);
    this.timer.unref();
  }

  /** Stops following the interceptors; the marker stays as it is (it matters most while the server is down). */
  stop(): void {
    clearInterval(this.timer);
  }
}
