import { ApiError, type CaoClient } from "../clients/api-client.js";
import type { Terminal } from "../services/terminal-service.js";
import { errorMessage } from "../util/errors.js";
import { assignedBy, messageFrom, shapeHandoff } from "./reply-texts.js";
import type { AssignResult, DeleteTerminalResult, HandoffResult, SendMessageResult } from "./results.js";
import { workerAllowedTools } from "./worker-tools.js";

export interface OrchestrationOptions {
  /** How often a handoff polls its worker's status (default 500 ms). */
  pollMs?: number;
}

export const DEFAULT_HANDOFF_TIMEOUT_S = 600;
export const MAX_HANDOFF_TIMEOUT_S = 3600;

/**
 * CAO's orchestration tools, as a client of the HTTP API. The caller's own terminal (CAO_TERMINAL_ID) is the
 * sender; workers run in its session with their profile's provider (else the caller's), in its working directory
 * unless one is given, record the caller as their `caller_id` and inherit its tool list
 * (docs/orchestration.md). Every input names
 * sender and orchestration type, so the server emits message_sent for it (and its interceptors see who sends what).
 * Failures are results with `success: false`, never exceptions: an agent reads them like any answer.
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

  /**
   * Starts a worker beside the caller, with its own profile's provider, else the caller's (mixed teams: a Claude
   * Code supervisor with Codex workers), in `workingDirectory` or the caller's.
   */
  async startWorker(agentProfile: string, workingDirectory?: string): Promise<Terminal> {
    const me = await this.client.getTerminal(this.self);
    const directory = workingDirectory ?? (await this.client.workingDirectory(this.self)).working_directory;
    const profile = await this.client.profile(agentProfile); // 404 for an unknown profile, 400 for one that does not load, before anything is created
    // The Python CAO's rule: the worker's own profile decides (its allowedTools, its role, else the developer role);
    // the caller's list only for a profile without one, which the server always resolves (docs/orchestration.md).
    const allowedTools = workerAllowedTools(me.allowed_tools, profile.allowed_tools);
    return this.client.createTerminal(me.session_name, {
      provider: profile.provider ?? me.provider,
      agent_profile: agentProfile,
      working_directory: directory,
      caller_id: this.self,
      ...(allowedTools ? { allowed_tools: allowedTools } : {}),
    });
  }

  /** Worker does the task; its last answer comes back; it is closed either way. */
  async handoff(
    agentProfile: string,
    message: string,
    timeoutSeconds = DEFAULT_HANDOFF_TIMEOUT_S,
    workingDirectory?: string,
  ): Promise<HandoffResult> {
    const started = Date.now();
    let worker: Terminal;
    try {
      worker = await this.startWorker(agentProfile, workingDirectory);
    } catch (error) {
      return { success: false, message: `Handoff failed: ${errorMessage(error)}`, output: null, terminal_id: null };
    }
    let denied = false;
    try {
      try {
        await this.client.sendInput(worker.id, {
          message: shapeHandoff(worker.provider, message, this.self),
          sender_id: this.self,
          orchestration_type: "handoff",
        });
      } catch (error) {
        denied = error instanceof ApiError && error.status === 403;
        throw error;
      }
      const deadline = started + timeoutSeconds * 1000;
      for (;;) {
        const { status } = await this.client.getTerminal(worker.id);
        if (status === "completed") break;
        if (status === "error") throw new Error(`worker ${worker.id} (${agentProfile}) reported an error`);
        if (Date.now() >= deadline)
          throw new Error(
            `timed out after ${timeoutSeconds} s (worker ${worker.id} was ${status}); the worker was closed`,
          );
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
      const { output } = await this.client.output(worker.id, "last");
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      return {
        success: true,
        message: `Handed off to ${agentProfile} (${worker.provider}); done in ${seconds} s`,
        output,
        terminal_id: worker.id,
      };
    } catch (error) {
      return {
        success: false,
        message: `Handoff failed: ${errorMessage(error)}`,
        output: null,
        terminal_id: worker.id,
      };
    } finally {
      // A denied task was never typed: the worker is removed at once, without asking its agent to exit.
      await (denied ? this.remove(worker.id) : this.close(worker.id));
    }
  }

  /** Worker gets the task; the call returns at once with the worker's id. The worker reports back with send_message. */
  async assign(agentProfile: string, message: string, workingDirectory?: string): Promise<AssignResult> {
    let worker: Terminal;
    try {
      worker = await this.startWorker(agentProfile, workingDirectory);
    } catch (error) {
      return { success: false, terminal_id: null, message: `Assignment failed: ${errorMessage(error)}` };
    }
    try {
      await this.client.sendInput(worker.id, {
        message: assignedBy(message, this.self),
        sender_id: this.self,
        orchestration_type: "assign",
      });
    } catch (error) {
      // The worker never got its task: nothing of this assign is left behind.
      await this.remove(worker.id);
      return {
        success: false,
        terminal_id: null,
        message: `Assignment failed: ${errorMessage(error)}; the worker ${worker.id} was removed`,
      };
    }
    return {
      success: true,
      terminal_id: worker.id,
      // As the Python CAO's answer: the supervisor learns how to clean up after the worker.
      message: `Task assigned to ${agentProfile} (terminal ${worker.id}, session ${worker.session_name}); it reports back with send_message. Call delete_terminal('${worker.id}') when you no longer need this terminal.`,
    };
  }

  /**
   * Queues `message` for `receiverId`, or for this terminal's caller (the terminal whose handoff or assign created
   * it) when none is named. The sender's id is appended, as the Python CAO does.
   */
  async sendMessage(receiverId: string | undefined, message: string): Promise<SendMessageResult> {
    let receiver = receiverId;
    try {
      if (receiver === undefined) {
        receiver = (await this.client.getTerminal(this.self)).caller_id ?? undefined;
        if (receiver === undefined)
          return {
            success: false,
            error: `receiver_id not given and terminal ${this.self} has no caller (it was not created by handoff or assign); name the receiver_id`,
          };
      }
      if (receiver === this.self)
        return {
          success: false,
          error: `receiver_id ${receiver} is this terminal itself; omit receiver_id to reply to your caller, or name another terminal`,
        };
      return await this.client.sendToInbox(receiver, {
        sender_id: this.self,
        message: messageFrom(message, this.self),
      });
    } catch (error) {
      // The server's own words ("terminal … not found", "denied by plugin …"), as every tool's failure carries them.
      return { success: false, error: errorMessage(error) };
    }
  }

  private async close(id: string): Promise<void> {
    await this.client.exitTerminal(id).catch(() => undefined);
    await this.remove(id);
  }

  private async remove(id: string): Promise<void> {
    await this.client.deleteTerminal(id).catch(() => undefined);
  }
}

/** `delete_terminal`: removes a terminal (an assign's worker once it has answered); its window and record go. */
export async function deleteTerminal(client: CaoClient, id: string): Promise<DeleteTerminalResult> {
  try {
    await client.deleteTerminal(id);
    return { success: true, message: `Terminal ${id} deleted successfully` };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      return { success: false, message: `Terminal ${id} not found` };
    return { success: false, message: `Failed to delete terminal: ${errorMessage(error)}` };
  }
}
