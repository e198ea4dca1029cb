/**
 * The processes of one terminal's agent, found by the CAO_TERMINAL_ID the server sets in its window: the CLI, the
 * MCP servers and tools it started, and anything that left the pane's process group (a CLI that restarts itself, a
 * background daemon) but kept the environment. Killing the tmux window only hangs up the pane's own process
 * group; these are what must end with the terminal. Linux /proc; elsewhere nothing is found.
 */
import fs from "node:fs";

/** Pids whose environment has CAO_TERMINAL_ID=<terminalId> (this process excluded). */
export function processesOfTerminal(terminalId: string): number[] {
  const marker = Buffer.from(`\0CAO_TERMINAL_ID=${terminalId}\0`);
  const first = Buffer.from(`CAO_TERMINAL_ID=${terminalId}\0`);
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue; // gone, or another user's
    }
    if ((environ.includes(marker) || environ.subarray(0, first.length).equals(first)) && !isZombie(entry))
      found.push(Number(entry));
  }
  return found;
}

function isZombie(pid: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** SIGTERM to each of `pids`, then SIGKILL to those still there after `graceMs`; resolves with the pids that were signalled. */
export async function endProcesses(pids: readonly number[], graceMs = 1500): Promise<number[]> {
  const signalled = pids.filter((pid) => signal(pid, "SIGTERM"));
  if (signalled.length === 0) return [];
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && signalled.some(alive)) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const pid of signalled) if (alive(pid)) signal(pid, "SIGKILL");
  return signalled;
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(String(pid));
  } catch {
    return false;
  }
}
