import type { CaoClient } from "../clients/api-client.js";
import type { Terminal } from "../services/terminal-service.js";

export interface OrchestrationOptions {
  /** How often a handoff polls its worker's status (default 500 ms). */
  pollMs?: number;
}

export const DEFAULT_HANDOFF_TIMEOUT_S = 600;

/**
 * CAO's three orchestration modes, as a client of the HTTP API. The caller's own terminal (CAO_TERMINAL_ID) is the
 * sender; workers inherit its provider, session and working directory. Every input names sender and orchestration
 * type, so the server emits message_sent for it.
 */
export class Orchestrator {
  private readonly pollMs: number;

  constructor(
    private readonly client: CaoClient,
    private readonly self: string,
    options: OrchestrationOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
  }

  /** Starts a worker beside the caller, with the caller's provider and working directory. */
  async startWorker(agentProfile: string): Promise<Terminal> {
    const me = await this.client.getTerminal(this.self);
    const { working_directory } = await this.client.workingDirectory(this.self);
    return this.client.createTerminal(me.session_name, { provider: me.provider, agent_profile: agentProfile, working_directory });
  }

  /** Worker does the task; its last answer comes back; it is closed either way. */
  async handoff(agentProfile: string, message: string, timeoutSeconds = DEFAULT_HANDOFF_TIMEOUT_S): Promise<string> {
    const worker = await this.startWorker(agentProfile);
    try {
      await this.client.sendInput(worker.id, { message, sender_id: this.self, orchestration_type: "handoff" });
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const { status } = await this.client.getTerminal(worker.id);
        if (status === "completed") break;
        if (status === "error") throw new Error(`worker ${worker.id} (${agentProfile}) reported an error`);
        if (Date.now() >= deadline) {
          throw new Error(`handoff to ${agentProfile} timed out after ${timeoutSeconds} s (worker ${worker.id} was ${status}); the worker was closed`);
        }
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
      return (await this.client.output(worker.id, "last")).output;
    } finally {
      await this.close(worker.id);
    }
  }

  /** Worker gets the task; the call returns at once with the worker's id. The worker reports back with send_message. */
  async assign(agentProfile: string, message: string): Promise<Terminal> {
    const worker = await this.startWorker(agentProfile);
    await this.client.sendInput(worker.id, { message, sender_id: this.self, orchestration_type: "assign" });
    return worker;
  }

  sendMessage(receiverId: string, message: string): Promise<{ success: boolean; message_id: number }> {
    return this.client.sendToInbox(receiverId, { sender_id: this.self, message });
  }

  private async close(id: string): Promise<void> {
    await this.client.exitTerminal(id).catch(() => undefined);
    await this.client.deleteTerminal(id).catch(() => undefined);
  }
}
