/**
 * Custom roles (docs/tool-restrictions.md): `$CAO_HOME/settings.json`, `{"roles": {"<name>": ["fs_read", …]}}` or the
 * nested `{"agents": {"roles": {…}}}`, the two shapes the Python CAO reads from its own settings.json. Read at each
 * launch, so an edit applies to the next agent without a restart.
 */
import fs from "node:fs";
import { ValidationError } from "../../util/validate.js";
import { checkedList } from "./resolve-tools.js";

/** The custom roles in `file`; none when it does not exist. A file CAO cannot read is a 400 naming it. */
export function loadCustomRoles(file: string): Record<string, string[]> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(settings)) throw new ValidationError(`${file} must hold a JSON object`);
  const nested = isObject(settings.agents) && settings.agents.roles !== undefined;
  const roles = nested ? (settings.agents as Record<string, unknown>).roles : settings.roles;
  const field = nested ? "agents.roles" : "roles";
  if (roles === undefined) return {};
  if (!isObject(roles)) throw new ValidationError(`${file}: ${field} must map role names to tool lists`);
  const result: Record<string, string[]> = {};
  for (const [name, tools] of Object.entries(roles)) result[name] = checkedList(tools, `${file}: ${field}.${name}`);
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
