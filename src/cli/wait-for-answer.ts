import type { CaoClient } from "../clients/api-client.js";
import { CommandError } from "./usage.js";

export interface WaitOptions {
  timeoutSeconds: number;
  pollMs?: number;
  /** How long a ready status is not trusted unless the agent was seen working (it may not have started yet). */
  graceMs?: number;
}

/**
 * Waits until terminal `id` has answered what was just typed into it, and returns its last answer, as the Python
 * CAO's `cao launch "<task>"` and `cao session send` do: `completed` ends the wait once the agent was seen working
 * (or after a short grace, in case it finished between two polls); `idle` only once the agent was seen working and
 * stayed idle for three polls. `error` and the timeout are a CommandError (exit 1).
 */
export async function waitForAnswer(client: CaoClient, id: string, options: WaitOptions): Promise<string> {
  const pollMs = options.pollMs ?? 500;
  const graceMs = options.graceMs ?? 3000;
  const started = Date.now();
  let working = false;
  let idlePolls = 0;
  for (;;) {
    const { status } = await client.getTerminal(id);
    if (status === "error") throw new CommandError(`terminal ${id} reported an error`);
    if (status === "processing" || status === "waiting_user_answer") working = true;
    const trusted = working || Date.now() - started >= graceMs;
    if (status === "completed" && trusted) break;
    idlePolls = status === "idle" && working ? idlePolls + 1 : 0;
    if (idlePolls >= 3) break;
    if (Date.now() - started > options.timeoutSeconds * 1000)
      throw new CommandError(
        `timed out after ${options.timeoutSeconds} s waiting for terminal ${id} (it is ${status}); it keeps running`,
      );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return (await client.output(id, "last")).output;
}
