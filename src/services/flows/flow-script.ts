import { execFile } from "node:child_process";
import path from "node:path";

/** What a flow's script decided (docs/flows.md#scripts): run or skip, and the variables for the prompt template. */
export interface ScriptVerdict {
  execute: boolean;
  output: Record<string, unknown>;
}

/** A script that ran longer than this is killed and the run fails (the Python CAO's limit). */
export const SCRIPT_TIMEOUT_MS = 30_000;

/** The script's path: as written when absolute, else relative to the flow file's directory. */
export function scriptPath(script: string, flowFile: string): string {
  return path.isAbsolute(script) ? script : path.resolve(path.dirname(flowFile), script);
}

/**
 * Runs a flow's script (no shell; it must be executable) and reads the JSON it prints: `{"execute": bool, "output":
 * {…}}`. A non-zero exit, a timeout or output of another shape throws, with the reason.
 */
export function runFlowScript(file: string, cwd: string): Promise<ScriptVerdict> {
  return new Promise((resolve, reject) => {
    execFile(file, [], { cwd, timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = error.killed
          ? `timed out after ${SCRIPT_TIMEOUT_MS / 1000} s`
          : typeof error.code === "number"
            ? `exited with code ${error.code}`
            : error.message;
        const tail = stderr.trim().split("\n").slice(-3).join(" | ");
        reject(new Error(`script ${file} ${why}${tail ? `: ${tail}` : ""}`));
        return;
      }
      try {
        resolve(verdictOf(stdout));
      } catch (problem) {
        reject(new Error(`script ${file}: ${(problem as Error).message}`));
      }
    });
  });
}

function verdictOf(stdout: string): ScriptVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (error) {
    throw new Error(`output is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error("output must be a JSON object with execute and output");
  const { execute, output } = parsed as Record<string, unknown>;
  if (execute === undefined) throw new Error("output is missing the execute field");
  if (output === undefined) throw new Error("output is missing the output field");
  if (typeof output !== "object" || output === null || Array.isArray(output))
    throw new Error("the output field must be an object of template variables");
  return { execute: Boolean(execute), output: output as Record<string, unknown> };
}
