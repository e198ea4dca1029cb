import type { Logger } from "pino";
import { isThenable } from "../../../util/deadline.js";
import { errorMessage } from "../../../util/errors.js";
import { CHANGEABLE_FIELDS, type InterceptPoint, type InterceptPointMap } from "../../api/points.js";
import type { Verdict } from "../../../services/operation-gate.js";
import type { Interceptor, InterceptorTable } from "./interceptor-table.js";
import { readDecision } from "./read-decision.js";

type CallOutcome = { ok: true; value: unknown } | { ok: false; why: string };

const TIMED_OUT = Symbol("timed out");

/**
 * Runs the interceptors of a point one after another (docs/contract.md#interception-points). Each sees the operation as the ones before it
 * modified it; the first deny ends the chain. A throw, a rejection, a missed deadline or an invalid return value is
 * a WARN naming plugin and point, and counts as allow — or as deny for an interceptor declared failClosed.
 */
export class InterceptorChain {
  constructor(private readonly deps: { table: InterceptorTable; timeoutMs: number; log: Logger }) {}

  async run<K extends InterceptPoint>(op: InterceptPointMap[K]): Promise<Verdict<K>> {
    const point = op.point as K;
    let current = Object.freeze({ ...op }) as unknown as InterceptPointMap[K];
    for (const interceptor of this.deps.table.chain(point)) {
      const outcome = await this.call(interceptor, current);
      const decision = outcome.ok ? readDecision(point, outcome.value) : { kind: "invalid" as const, why: outcome.why };
      switch (decision.kind) {
        case "allow":
          continue;
        case "deny":
          return { denied: true, plugin: interceptor.plugin, reason: decision.reason, op: current };
        case "modify":
          if (decision.dropped.length > 0) {
            this.warn(
              interceptor,
              `tried to change ${decision.dropped.join(", ")}, which ${point} does not allow; dropped (it may change ${changeable(point)})`,
            );
          }
          current = Object.freeze({ ...current, ...decision.patch }) as unknown as InterceptPointMap[K];
          continue;
        case "invalid": {
          const why = decision.why;
          if (interceptor.failClosed) {
            this.warn(interceptor, `${why}; counted as deny (failClosed)`);
            return {
              denied: true,
              plugin: interceptor.plugin,
              reason: `interceptor ${interceptor.name} failed (failClosed): ${why}`,
              op: current,
            };
          }
          this.warn(interceptor, `${why}; counted as allow`);
          continue;
        }
      }
    }
    return { denied: false, op: current };
  }

  /** One call, bounded by the deadline; a synchronous interceptor costs no timer and no promise. */
  private async call(interceptor: Interceptor, op: object): Promise<CallOutcome> {
    let value: unknown;
    try {
      value = interceptor.call(op);
    } catch (error) {
      return { ok: false, why: `threw: ${errorMessage(error)}` };
    }
    if (!isThenable(value)) return { ok: true, value };
    const { timeoutMs } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, timeoutMs, TIMED_OUT)));
    try {
      const settled = await Promise.race([Promise.resolve(value), expiry]);
      if (settled === TIMED_OUT) {
        interceptor.abandon?.(); // a worker interceptor stuck in a loop: its thread is ended and restarted
        return { ok: false, why: `did not answer within ${timeoutMs} ms` };
      }
      return { ok: true, value: settled };
    } catch (error) {
      return { ok: false, why: `rejected: ${errorMessage(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  private warn(interceptor: Interceptor, what: string): void {
    const { plugin, point, name } = interceptor;
    this.deps.log.warn(
      { plugin, point, interceptor: name },
      `plugin "${plugin}" interceptor ${name} at ${point} ${what}`,
    );
  }
}

function changeable(point: InterceptPoint): string {
  return CHANGEABLE_FIELDS[point].join(", ");
}
