import type { Logger } from "pino";
import { endProcesses, processesOfTerminal } from "../../clients/agent-processes.js";

/**
 * Ends what terminals' agents left running once their windows are gone: a tmux window's end only hangs up its own
 * process group, and some CLIs restart themselves or start daemons outside it (docs/decisions.md, "Real agent CLIs").
 */
export async function endLeftovers(ids: readonly string[], logger: Logger): Promise<void> {
  const pids = ids.flatMap((id) => processesOfTerminal(id));
  if (pids.length === 0) return;
  const ended = await endProcesses(pids);
  if (ended.length > 0)
    logger.info(
      { terminals: ids, pids: ended },
      `ended ${ended.length} process(es) left behind by terminal(s) ${ids.join(", ")}`,
    );
}
