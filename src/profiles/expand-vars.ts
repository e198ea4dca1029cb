/**
 * `${VAR}` in a profile's front matter (docs/profiles.md, "Variables"). Values are replaced after the YAML is parsed,
 * so a value holding quotes, `:` or newlines cannot change the front matter's structure. An unset variable is an
 * error naming the field and the variable: a profile must not launch with a placeholder where a token should be.
 */
import { ValidationError } from "../util/validate.js";

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type Lookup = (name: string) => string | undefined;

/** `value` with every `${VAR}` in its strings (at any depth) replaced; `where` names the profile file in errors. */
export function expandVariables(value: unknown, lookup: Lookup, where: string, field = ""): unknown {
  if (typeof value === "string") {
    return value.replace(PLACEHOLDER, (_match, name: string) => {
      const found = lookup(name);
      if (found === undefined)
        throw new ValidationError(
          `agent profile ${where}: ${field || "front matter"} uses \${${name}}, which is not set in the server's environment or $CAO_HOME/.env`,
        );
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expandVariables(item, lookup, where, `${field}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        expandVariables(item, lookup, where, field ? `${field}.${key}` : key),
      ]),
    );
  }
  return value;
}

/** The names of the variables `value` uses that `lookup` does not know (for `cao install`'s warning). */
export function unsetVariables(value: unknown, lookup: Lookup): string[] {
  const names = new Set<string>();
  const visit = (item: unknown): void => {
    if (typeof item === "string") {
      for (const match of item.matchAll(PLACEHOLDER)) if (lookup(match[1]!) === undefined) names.add(match[1]!);
    } else if (Array.isArray(item)) item.forEach(visit);
    else if (typeof item === "object" && item !== null) Object.values(item).forEach(visit);
  };
  visit(value);
  return [...names].sort();
}
