import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { ValidationError } from "../../util/validate.js";
import { CronError, nextRun, parseCron } from "./cron.js";

/**
 * A flow file (docs/flows.md#flow-files): markdown with YAML front matter (`name`, `schedule`, `agent_profile`, and
 * optionally `provider` and `script`); the body is the prompt template.
 */
export interface FlowDefinition {
  name: string;
  schedule: string;
  agentProfile: string;
  /** Undefined: the profile's provider, else the server's default (docs/flows.md#providers). */
  provider?: string;
  /** A command run before each run, relative to the flow file's directory; "" for none (as the Python CAO stores it). */
  script: string;
  promptTemplate: string;
}

/**
 * Flow names: the run's tmux session is `cao-flow-<name>`, and tmux names here are at most 64 characters of letters,
 * digits, `-` and `_` (src/util/validate.ts), which leaves 55 for the flow.
 */
export const FLOW_NAME = /^[A-Za-z0-9_-]{1,55}$/;
const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function assertFlowName(name: unknown, field = "name"): asserts name is string {
  if (typeof name !== "string" || !FLOW_NAME.test(name))
    throw new ValidationError(
      `${field} must be 1-55 characters of letters, digits, '-' or '_' (got ${JSON.stringify(name)})`,
    );
}

/** Checks an agent_profile or provider name: what may be written into a flow file's front matter as it is. */
export function assertPlainName(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || !PROFILE_NAME.test(value))
    throw new ValidationError(
      `${field} must be 1-64 characters of letters, digits, '-' or '_' (got ${JSON.stringify(value)})`,
    );
}

/** Checks a schedule: a ValidationError naming `field` for a bad expression or one that never fires. */
export function assertSchedule(schedule: unknown, field = "schedule"): asserts schedule is string {
  if (typeof schedule !== "string") throw new ValidationError(`${field} must be a cron expression string`);
  try {
    if (nextRun(parseCron(schedule), new Date()) === undefined)
      throw new CronError("never fires (no matching date in the next years)");
  } catch (error) {
    if (error instanceof CronError)
      throw new ValidationError(
        `${field} ${JSON.stringify(schedule)} is not a valid cron expression: ${error.message}`,
      );
    throw error;
  }
}

/** Parses and validates a flow file's text; `where` names it in errors. */
export function parseFlowText(text: string, where: string): FlowDefinition {
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n([\s\S]*))?$/.exec(text);
  if (!match)
    throw new ValidationError(
      `${where} has no front matter (a "---" block at the top with name, schedule, agent_profile)`,
    );
  let meta: unknown;
  try {
    meta = parseYaml(match[1]!) ?? {};
  } catch (error) {
    throw new ValidationError(`${where} has invalid YAML front matter: ${(error as Error).message.split("\n")[0]}`);
  }
  if (typeof meta !== "object" || Array.isArray(meta))
    throw new ValidationError(`${where}: the front matter must be a mapping of fields`);
  const fields = meta as Record<string, unknown>;
  for (const required of ["name", "schedule", "agent_profile"])
    if (fields[required] === undefined || fields[required] === null)
      throw new ValidationError(`${where}: missing required field ${required}`);
  assertFlowName(fields.name);
  assertSchedule(fields.schedule);
  const agentProfile = fields.agent_profile;
  assertPlainName(agentProfile, "agent_profile");
  const provider = fields.provider;
  if (provider !== undefined && provider !== null && (typeof provider !== "string" || provider === ""))
    throw new ValidationError(`provider must be a provider name (got ${JSON.stringify(provider)})`);
  const script = fields.script ?? "";
  if (typeof script !== "string") throw new ValidationError(`script must be a path (got ${JSON.stringify(script)})`);
  return {
    name: fields.name,
    schedule: fields.schedule,
    agentProfile,
    ...(typeof provider === "string" ? { provider } : {}),
    script,
    promptTemplate: (match[2] ?? "").trim(),
  };
}

/** Reads and parses a flow file; a missing or unreadable file is a ValidationError naming the path. */
export function readFlowFile(file: string): FlowDefinition {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidationError(
      code === "ENOENT" ? `flow file not found: ${file}` : `cannot read flow file ${file}: ${(error as Error).message}`,
    );
  }
  return parseFlowText(text, file);
}

/** The flow file the API writes for `POST /flows` with fields instead of a file (as the Python CAO does). */
export function flowFileText(flow: Omit<FlowDefinition, "script">): string {
  const lines = [
    "---",
    `name: ${flow.name}`,
    `schedule: ${JSON.stringify(flow.schedule)}`,
    `agent_profile: ${flow.agentProfile}`,
    ...(flow.provider !== undefined ? [`provider: ${flow.provider}`] : []),
    "---",
  ];
  return `${lines.join("\n")}\n${flow.promptTemplate}\n`;
}

/** Replaces each `[[key]]` with its value; every key the template uses must be given (docs/flows.md#scripts). */
export function renderPrompt(template: string, variables: Readonly<Record<string, unknown>>): string {
  const pattern = /\[\[(\w+)\]\]/g;
  const missing = [...new Set([...template.matchAll(pattern)].map((m) => m[1]!))].filter(
    (key) => !Object.prototype.hasOwnProperty.call(variables, key),
  );
  if (missing.length > 0) throw new ValidationError(`missing template variables: ${missing.sort().join(", ")}`);
  return template.replace(pattern, (_all, key: string) => {
    const value = variables[key];
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  });
}
