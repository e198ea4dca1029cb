/**
 * What an interceptor returns (docs/contract.md#interception-points). Plain objects, so a decision made in a worker thread crosses back as a
 * structured clone; recognised by their `decision` field, never by identity.
 */
import type { InterceptPoint, PatchOf } from "./points.js";

/** Type-only marker of the fields a patch names: it makes `modify({ wrongField })` a compile error for the point. */
declare const PATCH_FIELDS: unique symbol;

export interface AllowDecision {
  readonly decision: "allow";
}

export interface DenyDecision {
  readonly decision: "deny";
  readonly reason: string;
}

export interface ModifyDecision<P extends object = Record<string, unknown>> {
  readonly decision: "modify";
  readonly patch: P;
  /** Never set: carries the patch's keys so that a patch naming a field the point does not allow fails to compile. */
  readonly [PATCH_FIELDS]?: keyof P;
}

export type Decision = AllowDecision | DenyDecision | ModifyDecision;

/** What an interceptor of point K may return (or resolve to); nothing at all means allow. */
export type InterceptResult<K extends InterceptPoint> =
  AllowDecision | DenyDecision | ModifyDecision<PatchOf<K>> | void | undefined;

/** Let the operation through unchanged (the same as returning nothing). */
export function allow(): AllowDecision {
  return { decision: "allow" };
}

/** Stop the operation; `reason` reaches the caller as `denied by plugin <name>: <reason>`. */
export function deny(reason: string): DenyDecision {
  if (typeof reason !== "string" || reason.trim() === "")
    throw new TypeError("deny() needs a reason: a non-empty string");
  return { decision: "deny", reason };
}

/** Change the operation: `patch` holds new values of the fields the point allows (see the points table). */
export function modify<P extends object>(patch: P): ModifyDecision<P> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch))
    throw new TypeError("modify() needs an object of fields to change");
  return { decision: "modify", patch: { ...patch } };
}
