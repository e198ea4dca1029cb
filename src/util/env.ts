/**
 * Reading CAO_* variables (docs/contract.md, "Configuration"), one way for all: a bad value is one WARN naming the
 * variable, what it should be and the default used instead, never a crash and never a silent surprise.
 */
import path from "node:path";

export type Env = Record<string, string | undefined>;

interface Warns {
  warn(message: string): void;
}

/**
 * A positive integer variable: unset or empty → `fallback`; anything else that is not a positive integer → WARN and
 * `fallback`. `unit` says what it counts ("milliseconds", "events kept").
 */
export function positiveInt(env: Env, name: string, fallback: number, logger: Warns, unit?: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0) return value;
  logger.warn(
    `${name} must be a positive integer${unit ? ` (${unit})` : ""}, got ${JSON.stringify(raw)}; using ${fallback}`,
  );
  return fallback;
}

/** A switch: on only when set to `1` (as `CAO_DISABLE_PLUGINS=1`, `CAO_ALLOW_REMOTE=1`). */
export function flag(env: Env, name: string): boolean {
  return env[name] === "1";
}

/** A list of paths separated by the platform's delimiter (`:`), empty entries dropped, each made absolute. */
export function pathList(env: Env, name: string): string[] {
  return (env[name] ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .map((entry) => path.resolve(entry));
}

/** The provider of a launch that names none and whose profile names none, as in the Python CAO. */
export const DEFAULT_PROVIDER = "kiro_cli";

/**
 * CAO_DEFAULT_PROVIDER, trimmed; unset or empty → kiro_cli. Not checked here (util knows no providers): a launch
 * that falls back to an unknown one is a 400 naming it, and the server warns at start-up.
 */
export function defaultProviderFrom(env: Env): string {
  return env.CAO_DEFAULT_PROVIDER?.trim() || DEFAULT_PROVIDER;
}
