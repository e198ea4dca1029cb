/**
 * camelCase in TypeScript, snake_case in JSON (the HTTP API speaks the Python CAO's snake_case): the one pair of
 * conversions for field names, used by events, the isolation protocol and the API.
 */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function camelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A shallow copy with every key in snake_case. */
export function snakeKeys(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[snakeCase(key)] = value;
  return out;
}

/** A shallow copy with every key in camelCase. */
export function camelKeys(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[camelCase(key)] = value;
  return out;
}
