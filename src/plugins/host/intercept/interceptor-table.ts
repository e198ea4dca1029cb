import type { InterceptPoint } from "../../api/points.js";
import type { PluginScope } from "../containment/plugin-scope.js";
import type { ActiveEntry } from "../catalog.js";

/**
 * One interceptor as the chain sees it: a plugin handle that takes one operation and gives back one decision (or a
 * promise of one). Inline plugins are called in their scope; a plugin in a worker thread serves the same call by
 * message (isolation/worker-plugin.ts), with the operation and the decision as structured clones.
 */
export interface Interceptor {
  readonly plugin: string;
  readonly point: InterceptPoint;
  /** Method name or `intercepts.<point>[i]`, for log lines. */
  readonly name: string;
  readonly priority: number;
  readonly failClosed: boolean;
  call(op: object): unknown;
  /** The chain gave up on a call (deadline): stop it if the plugin can (a worker plugin ends its thread). */
  abandon?(): void;
}

/**
 * Which interceptors serve each point, in chain order (docs/contract.md#interception-points: priority, higher first; then plugin name ascending;
 * then as the plugin declares them). Rebuilt whole whenever the set of active plugins changes, so a call reads one
 * immutable array and a reload never changes a chain under a running operation.
 */
export class InterceptorTable {
  private chains = new Map<InterceptPoint, readonly Interceptor[]>();

  constructor(private readonly scope: PluginScope) {}

  /** Whether any interceptor serves `point`: the services skip building the operation otherwise. */
  has(point: InterceptPoint): boolean {
    return this.chains.has(point);
  }

  chain(point: InterceptPoint): readonly Interceptor[] {
    return this.chains.get(point) ?? [];
  }

  /** The points each active plugin intercepts, for its row in GET /plugins. */
  rebuild(active: readonly ActiveEntry[]): void {
    const chains = new Map<InterceptPoint, Interceptor[]>();
    for (const { source, plugin } of active) {
      for (const entry of plugin.interceptors) {
        const scope = this.scope;
        const name = source.name;
        const interceptor: Interceptor = {
          plugin: name,
          point: entry.point,
          name: entry.name,
          priority: entry.priority,
          failClosed: entry.failClosed,
          call: scope.tracking
            ? (op) => scope.run(name, () => entry.fn.call(entry.thisArg, op, entry.context))
            : (op) => entry.fn.call(entry.thisArg, op, entry.context),
          ...(entry.abandon ? { abandon: entry.abandon } : {}),
        };
        const list = chains.get(entry.point);
        if (list) list.push(interceptor);
        else chains.set(entry.point, [interceptor]);
      }
    }
    // Array.prototype.sort is stable: equal priority and plugin keep the plugin's own declaration order.
    for (const list of chains.values())
      list.sort((a, b) => b.priority - a.priority || (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0));
    this.chains = chains;
  }

  clear(): void {
    this.chains = new Map();
  }
}
