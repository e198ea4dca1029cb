import { CHANGEABLE_FIELDS, OBJECT_FIELDS, type InterceptPoint } from "../../api/points.js";

/** A decision as the chain applies it, or why the value returned was not one. */
export type ReadDecision =
  | { kind: "allow" }
  | { kind: "deny"; reason: string }
  | { kind: "modify"; patch: Record<string, unknown>; dropped: string[] }
  | { kind: "invalid"; why: string };

/**
 * Reads what an interceptor returned (docs/contract.md#interception-points): nothing or `allow()` lets the operation through, `deny(reason)`
 * stops it, `modify(patch)` changes the fields the point allows (others are dropped, reported in `dropped`).
 * Anything else is invalid. Decisions are recognised by shape, so a plugin with its own copy of the API works, and so
 * does one whose decision crossed a thread as a structured clone.
 */
export function readDecision(point: InterceptPoint, value: unknown): ReadDecision {
  if (value === undefined) return { kind: "allow" };
  if (typeof value !== "object" || value === null)
    return { kind: "invalid", why: `returned ${describe(value)}, not a decision` };
  const decision = (value as { decision?: unknown }).decision;
  if (decision === "allow") return { kind: "allow" };
  if (decision === "deny") {
    const reason = (value as { reason?: unknown }).reason;
    if (typeof reason !== "string" || reason.trim() === "")
      return { kind: "invalid", why: "returned a deny without a reason" };
    return { kind: "deny", reason };
  }
  if (decision === "modify") return readPatch(point, (value as { patch?: unknown }).patch);
  return { kind: "invalid", why: `returned ${describe(value)}, not allow(), deny(reason) or modify(patch)` };
}

function readPatch(point: InterceptPoint, patch: unknown): ReadDecision {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch))
    return { kind: "invalid", why: "returned a modify without a patch object" };
  const allowed: readonly string[] = CHANGEABLE_FIELDS[point];
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (!allowed.includes(field)) {
      dropped.push(field);
      continue;
    }
    if (OBJECT_FIELDS.has(field)) {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return { kind: "invalid", why: `returned a modify whose ${field} is ${describe(value)}, not an object` };
      out[field] = Object.freeze({ ...value });
      continue;
    }
    if (typeof value !== "string")
      return { kind: "invalid", why: `returned a modify whose ${field} is ${describe(value)}, not a string` };
    out[field] = value;
  }
  return { kind: "modify", patch: out, dropped };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}
