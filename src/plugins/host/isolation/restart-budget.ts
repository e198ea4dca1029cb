/**
 * How often a worker plugin may die before it is given up: `limit` deaths within `windowMs` (docs/contract.md#plugin-api: 3 in 60 s).
 * A plugin that dies now and then is restarted each time; one that keeps dying is failed instead of spinning.
 */
export class RestartBudget {
  private deaths: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a death; true while the plugin may be restarted, false once `limit` deaths fall within the window. */
  record(now = Date.now()): boolean {
    this.deaths = this.deaths.filter((at) => now - at < this.windowMs);
    this.deaths.push(now);
    return this.deaths.length < this.limit;
  }

  /** Deaths within the window, as of the last record(). */
  get count(): number {
    return this.deaths.length;
  }
}
