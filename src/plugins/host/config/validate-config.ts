import { errorMessage } from "../../../util/errors.js";
import type { StandardSchemaV1 } from "../../api/standard-schema.js";

export type Validation = { ok: true; value: unknown } | { ok: false; error: string };

/** Whether `value` is a Standard Schema (v1): an object or function with a `~standard.validate` function. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as Partial<StandardSchemaV1>)["~standard"];
  return typeof props === "object" && props !== null && typeof props.validate === "function";
}

/**
 * Runs a plugin's schema over its config (docs/contract.md#configyaml). The error names every failing field by its path
 * (`config.url: Invalid URL; config.events[0]: …`), so the user knows which line of config.yaml to fix.
 * A schema that throws is reported as such, not thrown.
 */
export async function validateConfig(schema: unknown, value: unknown): Promise<Validation> {
  if (schema === undefined || schema === null) return { ok: true, value };
  if (!isStandardSchema(schema)) {
    return {
      ok: false,
      error:
        "its config schema is not a Standard Schema (an object with a `~standard.validate` function: zod 4, valibot, arktype …)",
    };
  }
  let result: StandardSchemaV1.Result<unknown>;
  try {
    result = await schema["~standard"].validate(value);
  } catch (error) {
    return { ok: false, error: `its config schema threw: ${errorMessage(error)}` };
  }
  if (result === null || typeof result !== "object")
    return { ok: false, error: "its config schema returned no result" };
  if (result.issues) {
    const issues =
      result.issues.length > 0 ? result.issues.map(describeIssue).join("; ") : "config: rejected (no reason given)";
    return { ok: false, error: `invalid config: ${issues}` };
  }
  return { ok: true, value: result.value };
}

function describeIssue(issue: StandardSchemaV1.Issue): string {
  return `${fieldPath(issue.path)}: ${issue.message}`;
}

/** `config`, `config.url`, `config.events[0]` — the path as the user sees it in the YAML file. */
export function fieldPath(path: StandardSchemaV1.Issue["path"]): string {
  let out = "config";
  for (const segment of path ?? []) {
    const key =
      typeof segment === "object" && segment !== null ? (segment as StandardSchemaV1.PathSegment).key : segment;
    if (typeof key === "number") out += `[${key}]`;
    else out += `.${String(key)}`;
  }
  return out;
}
