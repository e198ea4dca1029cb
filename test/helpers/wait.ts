/** Polls `predicate` every `everyMs` until it is true; throws with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Polls `read` every 100 ms until it gives a value, and returns it; throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await read()) !== undefined, timeoutMs, what, 100);
  return value as T;
}
