/**
 * `${VAR}` in the config file's strings, replaced from the server's environment (docs/contract.md#configyaml), as in docker compose:
 * `${VAR}` must be set (an unset one is an error naming it and where it is used: a typo must not silently become ""),
 * `${VAR:-fallback}` uses the fallback when VAR is unset or empty, `$${` is a literal `${`.
 * Only string values are touched, never keys; the result is a new value, the input stays as written.
 */
export class InterpolationError extends Error {}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolate(value: unknown, env: Readonly<Record<string, string | undefined>>, at = "config"): unknown {
  if (typeof value === "string") return interpolateString(value, env, at);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${at}[${i}]`));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = interpolate(inner, env, `${at}.${key}`);
    return out;
  }
  return value;
}

function interpolateString(text: string, env: Readonly<Record<string, string | undefined>>, at: string): string {
  return text.replace(REFERENCE, (whole, body: string | undefined) => {
    if (body === undefined) return "${"; // `$${` escapes
    const fallbackAt = body.indexOf(":-");
    const name = fallbackAt === -1 ? body : body.slice(0, fallbackAt);
    if (!NAME.test(name))
      throw new InterpolationError(
        `${at}: "${whole}" is not a variable reference (use \${NAME} or \${NAME:-fallback}; $\${ for a literal)`,
      );
    const set = env[name];
    if (fallbackAt !== -1) return set === undefined || set === "" ? body.slice(fallbackAt + 2) : set;
    if (set === undefined)
      throw new InterpolationError(
        `${at}: environment variable ${name} is not set (referenced as \${${name}}; write \${${name}:-} to allow it to be empty)`,
      );
    return set;
  });
}
