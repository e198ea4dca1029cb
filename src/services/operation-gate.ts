import type { InterceptPoint, InterceptPointMap } from "../plugins/api/points.js";
import { OperationDeniedError } from "../util/errors.js";

/** The outcome of one operation's pass through its point's interceptors. */
export type Verdict<K extends InterceptPoint> =
  | { denied: false; op: InterceptPointMap[K] }
  | { denied: true; plugin: string; reason: string; op: InterceptPointMap[K] };

/**
 * What the services ask before an operation (docs/contract.md#interception-points). They know nothing of plugins beyond this; the plugin
 * registry is the gate. `intercepts(point)` is a cheap check: when it is false, the service builds no operation and
 * awaits nothing.
 */
export interface OperationGate {
  intercepts(point: InterceptPoint): boolean;
  /** Whether an interceptor of `point` was declared failClosed (agents' hooks then block when CAO is unreachable). */
  failsClosed?(point: InterceptPoint): boolean;
  intercept<K extends InterceptPoint>(op: InterceptPointMap[K]): Promise<Verdict<K>>;
}

/** A gate with no interceptors, for services built without plugins. */
export const OPEN_GATE: OperationGate = {
  intercepts: () => false,
  intercept: async (op) => ({ denied: false, op }),
};

/** Runs `op` through the gate: the operation as (possibly) modified, or OperationDeniedError (403). */
export async function admit<K extends InterceptPoint>(
  gate: OperationGate,
  op: InterceptPointMap[K],
): Promise<InterceptPointMap[K]> {
  const verdict = await gate.intercept(op);
  if (verdict.denied) throw new OperationDeniedError(verdict.plugin, verdict.reason);
  return verdict.op;
}
