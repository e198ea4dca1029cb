export type Settled = { ok: true } | { ok: false; timedOut: boolean; error?: unknown };

/**
 * Runs `action` and waits at most `timeoutMs` for it to settle. Never throws: a throw, a rejection and a
 * timeout all come back as `ok: false`. A timed-out promise is abandoned, not cancelled (JS cannot cancel it);
 * `onLate` lets the caller clean up if it settles after all.
 */
export async function settleWithin(action: () => unknown, timeoutMs: number, onLate?: (ok: boolean) => void): Promise<Settled> {
  let value: unknown;
  try {
    value = action();
  } catch (error) {
    return { ok: false, timedOut: false, error };
  }
  if (!isThenable(value)) return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve({ ok: false, timedOut: true });
    }, timeoutMs);
    timer.unref();
  });
  const outcome = Promise.resolve(value).then(
    (): Settled => {
      if (timedOut) onLate?.(true);
      return { ok: true };
    },
    (error: unknown): Settled => {
      if (timedOut) onLate?.(false);
      return { ok: false, timedOut: false, error };
    },
  );
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function";
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
