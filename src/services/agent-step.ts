/**
 * One agent step, server-side: a worker terminal (created, or one that exists), the prompt typed into it, the wait
 * until its agent has answered, the answer, and the worker removed. This is what the Python CAO's handoff tool asks
 * of its server in one call (`POST /terminals/run-step`, docs/compatibility.md); CAO's own handoff does the same
 * steps as a client (src/mcp/orchestration.ts).
 */
import { NotFoundError } from "../util/errors.js";
import type { Terminal } from "../contract/api.js";
import type { EventJournal } from "./event-journal.js";
import type { SessionService } from "./session-service.js";
import type { TerminalService } from "./terminal-service.js";

export interface AgentStep {
  provider?: string;
  agentProfile: string;
  prompt: string;
  /** The session to create the worker in (created when missing); a new session when absent. */
  sessionName?: string;
  /** Run the step on this existing terminal instead (never removed). */
  reuseTerminalId?: string;
  /** Remove the worker afterwards (a created one only); default true. */
  teardown: boolean;
  timeoutSeconds: number;
  workingDirectory?: string;
  callerId?: string;
  allowedTools?: string[];
}

export interface AgentStepResult {
  terminal_id: string;
  last_message: string;
  status: string;
}

/** A step that did not finish: `kind` says whether the worker failed (`error`) or ran long (`timeout`). */
export class AgentStepFailure extends Error {
  constructor(
    readonly kind: "error" | "timeout",
    message: string,
    readonly terminalId: string | null,
  ) {
    super(message);
  }
}

const POLL_MS = 250;

export class AgentStepRunner {
  constructor(
    private readonly deps: {
      sessions: SessionService;
      terminals: TerminalService;
      /** Where the worker's status changes are journaled: the step's end is the first `completed` after the prompt. */
      journal: EventJournal;
      pollMs?: number;
    },
  ) {}

  async run(step: AgentStep): Promise<AgentStepResult> {
    const deadline = Date.now() + step.timeoutSeconds * 1000;
    const worker = step.reuseTerminalId
      ? await this.deps.terminals.get(step.reuseTerminalId)
      : await this.createWorker(step);
    const created = !step.reuseTerminalId;
    // Watched from before the prompt is typed: a reused worker already reads `completed` from its previous step, so
    // only a status change after the prompt says this step is done.
    const turn = this.watchTurn(worker.id);
    try {
      await this.deps.terminals.sendInput(worker.id, step.prompt, {
        ...(step.callerId ? { senderId: step.callerId, orchestrationType: "handoff" as const } : {}),
      });
      const status = await this.waitForAnswer(worker.id, turn.outcome, deadline, step.timeoutSeconds);
      return {
        terminal_id: worker.id,
        last_message: await this.deps.terminals.output(worker.id, "last"),
        status,
      };
    } finally {
      turn.stop();
      if (created && step.teardown) await this.remove(worker.id);
    }
  }

  /** The first `completed` or `error` the journal records for the terminal from now on. */
  private watchTurn(id: string): { outcome: () => "completed" | "error" | undefined; stop: () => void } {
    let outcome: "completed" | "error" | undefined;
    const stop = this.deps.journal.subscribe((row) => {
      if (outcome || row.event_type !== "terminal_status_changed") return;
      const data = JSON.parse(row.data) as { terminal_id?: string; status?: string };
      if (data.terminal_id === id && (data.status === "completed" || data.status === "error")) outcome = data.status;
    });
    return { outcome: () => outcome, stop };
  }

  private async createWorker(step: AgentStep): Promise<Terminal> {
    const spec = {
      ...(step.provider !== undefined ? { provider: step.provider } : {}),
      agentProfile: step.agentProfile,
      ...(step.workingDirectory !== undefined ? { workingDirectory: step.workingDirectory } : {}),
      ...(step.allowedTools !== undefined ? { allowedTools: step.allowedTools } : {}),
    };
    if (step.sessionName !== undefined) {
      const exists = await this.deps.sessions.get(step.sessionName).then(
        () => true,
        (error: unknown) => {
          if (error instanceof NotFoundError) return false;
          throw error;
        },
      );
      if (exists)
        return this.deps.sessions.addTerminal(step.sessionName, {
          ...spec,
          ...(step.callerId !== undefined ? { callerId: step.callerId } : {}),
        });
      return this.deps.sessions.create({ ...spec, sessionName: step.sessionName });
    }
    return this.deps.sessions.create(spec);
  }

  private async waitForAnswer(
    id: string,
    outcome: () => "completed" | "error" | undefined,
    deadline: number,
    timeoutSeconds: number,
  ): Promise<string> {
    for (;;) {
      const { status } = await this.deps.terminals.get(id); // 404 when the worker vanished
      const settled = outcome();
      if (settled === "completed") return settled;
      if (settled === "error" || status === "error")
        throw new AgentStepFailure("error", `worker ${id} reported an error`, id);
      if (Date.now() >= deadline)
        throw new AgentStepFailure("timeout", `worker ${id} did not finish within ${timeoutSeconds} s (${status})`, id);
      await new Promise((resolve) => setTimeout(resolve, this.deps.pollMs ?? POLL_MS));
    }
  }

  private async remove(id: string): Promise<void> {
    await this.deps.terminals.exit(id).catch(() => undefined);
    await this.deps.sessions.deleteTerminal(id).catch(() => undefined);
  }
}
