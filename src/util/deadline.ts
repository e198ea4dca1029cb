export type Settled = { ok: true } | { ok: false; timedOut: boolean; error?: unknown };

/** What `Deadline.race` resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * A time limit that something awaits. Its timer is ref'd on purpose: while a caller awaits a plugin that never
 * settles, the deadline is the only thing left in the event loop, and an unref'd one would let Node end the process
 * mid-await (exit code 13, "unsettled top-level await") instead of letting the caller go on. `clear()` it once the
 * race is decided, so it does not keep the process alive any longer than needed.
 */
export class Deadline {
  readonly ms: number;
  private readonly expiry: Promise<typeof TIMED_OUT>;
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(ms: number) {
    this.ms = ms;
    this.expiry = new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.expired = true;
        this.timer = undefined;
        resolve(TIMED_OUT);
      }, ms);
    });
  }

  get passed(): boolean {
    return this.expired;
  }

  /** The value of `promise`, or TIMED_OUT if the deadline passes first; a rejection passes through. */
  race<T>(promise: PromiseLike<T>): Promise<T | typeof TIMED_OUT> {
    return Promise.race([promise, this.expiry]);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Runs `action` and waits for it to settle until `deadline` passes (a number starts a new one). Never throws: a
 * throw, a rejection and a timeout all come back as `ok: false`. A timed-out promise is abandoned, not cancelled
 * (JS cannot cancel it); `onLate` lets the caller clean up if it settles after all.
 */
export async function runWithDeadline(
  action: () => unknown,
  deadline: Deadline | number,
  onLate?: (ok: boolean) => void,
): Promise<Settled> {
  let value: unknown;
  try {
    value = action();
  } catch (error) {
    return { ok: false, timedOut: false, error };
  }
  if (!isThenable(value)) return { ok: true };
  const own = typeof deadline === "number" ? new Deadline(deadline) : undefined;
  const limit = own ?? (deadline as Deadline);
  const outcome = Promise.resolve(value).then(
    (): Settled => {
      if (limit.passed) onLate?.(true);
      return { ok: true };
    },
    (error: unknown): Settled => {
      if (limit.passed) onLate?.(false);
      return { ok: false, timedOut: false, error };
    },
  );
  try {
    const result = await limit.race(outcome);
    return result === TIMED_OUT ? { ok: false, timedOut: true } : result;
  } finally {
    own?.clear();
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function";
}

/** Whether `promise` settles within `ms`; the wait keeps the process alive and ends with the race. */
export async function waitUntilSettled(promise: PromiseLike<unknown>, ms: number): Promise<boolean> {
  const deadline = new Deadline(ms);
  try {
    return (await deadline.race(promise.then(() => true))) !== TIMED_OUT;
  } finally {
    deadline.clear();
  }
}
