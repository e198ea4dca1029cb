/**
 * The tools' parameters, declared once: the JSON Schema that tools/list shows the agent and the check that tools/call
 * applies both come from these descriptors, so they cannot disagree.
 */
export type Param =
  | {
      type: "string";
      description: string;
      optional?: boolean;
      pattern?: { regex: RegExp; message: string };
      minLength?: { value: number; message: string };
      maxLength?: number;
    }
  /** `default` is shown in the schema and used when the argument is left out. */
  | { type: "integer"; description: string; optional?: boolean; default?: number; minimum: number; maximum: number };

export type Params = Record<string, Param>;

export function jsonSchemaOf(params: Params): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    properties[name] =
      p.type === "string"
        ? {
            type: "string",
            description: p.description,
            ...(p.pattern ? { pattern: p.pattern.regex.source } : {}),
            ...(p.minLength ? { minLength: p.minLength.value } : {}),
            ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}),
          }
        : {
            type: "integer",
            description: p.description,
            ...(p.default !== undefined ? { default: p.default } : {}),
            minimum: p.minimum,
            maximum: p.maximum,
          };
  }
  const required = Object.entries(params)
    .filter(([, p]) => !p.optional && !(p.type === "integer" && p.default !== undefined))
    .map(([name]) => name);
  return { type: "object", properties, required };
}

/** The arguments checked against `params`: the values, or one message naming every bad field. */
export function checkArguments(
  params: Params,
  args: unknown,
): { ok: true; values: Record<string, unknown> } | { ok: false; error: string } {
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args)))
    return { ok: false, error: "arguments must be an object" };
  const given = (args ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    const value = given[name];
    if (value === undefined) {
      if (p.type === "integer" && p.default !== undefined) values[name] = p.default;
      else if (!p.optional) problems.push(`${name}: required`);
      continue;
    }
    const problem = p.type === "string" ? stringProblem(p, value) : integerProblem(p, value);
    if (problem) problems.push(`${name}: ${problem}`);
    else values[name] = value;
  }
  // Other keys are ignored, as before (agents sometimes add one); only the declared ones reach the tool.
  return problems.length > 0 ? { ok: false, error: problems.join("; ") } : { ok: true, values };
}

function stringProblem(p: Extract<Param, { type: "string" }>, value: unknown): string | undefined {
  if (typeof value !== "string") return `expected a string, got ${typeof value}`;
  if (p.minLength && value.length < p.minLength.value) return p.minLength.message;
  if (p.maxLength !== undefined && value.length > p.maxLength)
    return `at most ${p.maxLength} characters (got ${value.length})`;
  if (p.pattern && !p.pattern.regex.test(value)) return p.pattern.message;
  return undefined;
}

function integerProblem(p: Extract<Param, { type: "integer" }>, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value)) return `expected an integer, got ${JSON.stringify(value)}`;
  if (value < p.minimum || value > p.maximum) return `must be between ${p.minimum} and ${p.maximum} (got ${value})`;
  return undefined;
}
