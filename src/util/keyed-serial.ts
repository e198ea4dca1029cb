/**
 * Work per key, one job at a time: a plugin's reloads, one inbox receiver's deliveries, one terminal's status reads,
 * the reconciler's passes. Different keys proceed independently. A key with nothing running or waiting is forgotten,
 * so the map holds only busy keys however many keys come and go.
 *
 * Two ways to ask:
 * - run(): every job runs, in the order asked (each asked-for change must happen);
 * - request(): "look again soon": at once when the key is free, else one more run after the running job, shared by
 *   everyone who asks before it starts (a burst of triggers costs one run, and none is lost: a trigger that came
 *   while a job ran gets a run that starts after it).
 */
export class KeyedSerial {
  private readonly lanes = new Map<string, Lane>();

  /**
   * `delayMs`: how long a key's next job waits before it starts (a throttle, measured by its owner); without it, a
   * job starts as soon as the one before it has settled.
   */
  constructor(private readonly options: { delayMs?: (key: string) => number } = {}) {}

  /** Runs `job` after every job already asked for `key`, even failed ones; its result is the caller's. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return this.enqueue(key, job, false);
  }

  /**
   * Runs `job` for `key` soon: the run that is waiting to start, when there is one, is joined instead (its job runs,
   * and its result is shared).
   */
  request<T>(key: string, job: () => Promise<T>): Promise<T> {
    const last = this.lanes.get(key)?.waiting.at(-1);
    if (last?.shared) return last.result as Promise<T>;
    return this.enqueue(key, job, true);
  }

  /** Whether `key` has a job running or waiting: what its owner last learned may be out of date. */
  busy(key: string): boolean {
    return this.lanes.has(key);
  }

  /** Drops `key`'s waiting jobs (its running job finishes); their callers get a DroppedError. */
  cancel(key: string): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    clearTimeout(lane.timer);
    lane.timer = undefined;
    for (const dropped of lane.waiting.splice(0)) dropped.drop();
    if (!lane.running) this.lanes.delete(key);
  }

  /** Resolves once every job asked for so far, waiting ones included, has settled. */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) {
      const lanes = [...this.lanes.values()];
      await Promise.all(lanes.flatMap((lane) => [lane.running, ...lane.waiting.map((w) => w.result)]).map(settled));
    }
  }

  /**
   * Drops every waiting job and resolves once the running ones have finished. Its owner stops asking (a job asked
   * for afterwards would run): the scheduler keeps no stopped state of its own, so its owner can start again.
   */
  async stop(): Promise<void> {
    const running = [...this.lanes.values()].map((lane) => lane.running);
    for (const key of [...this.lanes.keys()]) this.cancel(key);
    await Promise.all(running.map(settled));
  }

  private enqueue<T>(key: string, job: () => Promise<T>, shared: boolean): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { running: undefined, waiting: [], timer: undefined }));
    const waiting = waitingJob(job, shared);
    lane.waiting.push(waiting);
    if (!lane.running && !lane.timer) this.startNext(key, lane);
    return waiting.result as Promise<T>;
  }

  /** Starts the key's next job (after its delay, if the owner sets one), or forgets the key when none waits. */
  private startNext(key: string, lane: Lane): void {
    if (lane.waiting.length === 0) {
      this.lanes.delete(key);
      return;
    }
    const delay = this.options.delayMs?.(key);
    if (delay === undefined) {
      this.start(key, lane);
      return;
    }
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.start(key, lane);
    }, delay);
    lane.timer.unref(); // a throttled job never keeps the process alive
  }

  private start(key: string, lane: Lane): void {
    const next = lane.waiting.shift()!;
    // The lane moves on before the caller hears the result: a caller that asks again then is not taken for a trigger
    // that came while the job ran.
    const finish = () => {
      lane.running = undefined;
      this.startNext(key, lane);
    };
    // The job starts in a microtask, never inside its caller's stack: a synchronous throw becomes its rejection,
    // and the caller finishes what it was doing first.
    lane.running = Promise.resolve()
      .then(next.job)
      .then(
        (value) => {
          finish();
          next.resolve(value);
        },
        (error: unknown) => {
          finish();
          next.reject(error);
        },
      );
  }
}

/** What the caller of a job dropped before it started (cancel(), stop()) gets. */
export class DroppedError extends Error {
  constructor() {
    super("the job was dropped before it started");
    this.name = "DroppedError";
  }
}

interface Lane {
  /** The running job, until the next one is arranged. */
  running: Promise<void> | undefined;
  waiting: WaitingJob[];
  /** The next job's delay, while it lasts. */
  timer: NodeJS.Timeout | undefined;
}

interface WaitingJob {
  job: () => Promise<unknown>;
  /** Asked for with request(): later requests join it rather than queue another run. */
  shared: boolean;
  result: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  drop: () => void;
}

function waitingJob(job: () => Promise<unknown>, shared: boolean): WaitingJob {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const result = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const drop = () => {
    // Marked handled: a caller that fired and forgot has nothing to hear about a job that never ran.
    result.catch(() => undefined);
    reject(new DroppedError());
  };
  return { job, shared, result, resolve, reject, drop };
}

/** Waits for `promise` to settle either way. */
function settled(promise: Promise<unknown> | undefined): Promise<unknown> | undefined {
  return promise?.catch(() => undefined);
}
