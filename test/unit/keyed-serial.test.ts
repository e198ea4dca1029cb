/**
 * The per-key scheduler (src/util/keyed-serial.ts) on its own: one job at a time per key, keys independent, queued
 * jobs all run in order, requests coalesce into one more run, idle keys are forgotten, cancel/stop drop what waits
 * and stop waits for what runs, and a throttle delays a key's next job. Jobs are held open by hand (gates).
 */
import { describe, expect, it, vi } from "vitest";
import { DroppedError, KeyedSerial } from "../../src/util/keyed-serial.js";

/** A promise the test resolves when it likes. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every pending microtask (and the promise chains they start) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("run: every job, in order", () => {
  it("runs one key's jobs one at a time, in the order asked, and returns each job's result", async () => {
    const serial = new KeyedSerial();
    const first = gate();
    const seen: string[] = [];
    const a = serial.run("k", async () => {
      seen.push("a starts");
      await first.promise;
      seen.push("a ends");
      return "A";
    });
    const b = serial.run("k", async () => {
      seen.push("b");
      return "B";
    });
    await settle();
    expect(seen).toEqual(["a starts"]);
    first.open();
    expect(await Promise.all([a, b])).toEqual(["A", "B"]);
    expect(seen).toEqual(["a starts", "a ends", "b"]);
  });

  it("runs different keys independently", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    void serial.run("slow", () => held.promise);
    expect(await serial.run("fast", async () => "done")).toBe("done");
    held.open();
  });

  it("goes on after a failed job (a synchronous throw included), and the failure is that job's caller's", async () => {
    const serial = new KeyedSerial();
    const failed = serial.run("k", async () => {
      throw new Error("boom");
    });
    const threw = serial.run("k", () => {
      throw new Error("sync");
    });
    await expect(failed).rejects.toThrow("boom");
    await expect(threw).rejects.toThrow("sync");
    expect(await serial.run("k", async () => 1)).toBe(1);
  });

  it("never runs a job inside its caller's stack", async () => {
    const serial = new KeyedSerial();
    let ran = false;
    const done = serial.run("k", async () => void (ran = true));
    expect(ran).toBe(false);
    await done;
    expect(ran).toBe(true);
  });
});

describe("request: one more run, shared", () => {
  it("starts at once on a free key", async () => {
    const serial = new KeyedSerial();
    expect(await serial.request("k", async () => "now")).toBe("now");
  });

  it("asked while a job runs: one more run after it, shared by every asker before it starts (the first asker's job)", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    let runs = 0;
    const job = (name: string) => async () => {
      runs++;
      if (runs === 1) await held.promise;
      return name;
    };
    const first = serial.request("k", job("first"));
    await settle();
    const later = [serial.request("k", job("second")), serial.request("k", job("third"))];
    expect(later[0]).toBe(later[1]);
    held.open();
    expect(await first).toBe("first");
    expect(await Promise.all(later)).toEqual(["second", "second"]);
    expect(runs).toBe(2);
  });

  it("a request after the rerun started is not lost: it gets a run of its own", async () => {
    const serial = new KeyedSerial();
    const gates = [gate(), gate()];
    let runs = 0;
    const job = async () => {
      const mine = runs++;
      if (mine < 2) await gates[mine]!.promise;
      return mine;
    };
    void serial.request("k", job);
    await settle();
    const rerun = serial.request("k", job);
    gates[0]!.open();
    await settle(); // the rerun is running now
    const third = serial.request("k", job);
    expect(third).not.toBe(rerun);
    gates[1]!.open();
    expect(await rerun).toBe(1);
    expect(await third).toBe(2);
  });

  it("does not join a queued run(): that one is somebody's own change", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    const seen: string[] = [];
    void serial.run("k", () => held.promise);
    const queued = serial.run("k", async () => void seen.push("run"));
    const requested = serial.request("k", async () => void seen.push("request"));
    held.open();
    await Promise.all([queued, requested]);
    expect(seen).toEqual(["run", "request"]);
  });
});

describe("idle keys are forgotten", () => {
  it("a key is busy while a job runs or waits, and forgotten once its jobs are done", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    const first = serial.request("k", () => held.promise);
    const rerun = serial.request("k", async () => undefined);
    expect(serial.busy("k")).toBe(true);
    held.open();
    await first;
    expect(serial.busy("k")).toBe(true); // the rerun
    await rerun;
    expect(serial.busy("k")).toBe(false);
  });

  it("many keys coming and going leave nothing behind", async () => {
    const serial = new KeyedSerial();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => serial.request(`k${i}`, async () => i)));
    await serial.idle();
    expect(Array.from({ length: 1000 }, (_, i) => serial.busy(`k${i}`)).some(Boolean)).toBe(false);
  });
});

describe("cancel, stop, idle", () => {
  it("cancel drops the key's waiting jobs (their callers get a DroppedError) and lets the running one finish", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    let ranAfter = false;
    const running = serial.run("k", () => held.promise.then(() => "finished"));
    const waiting = serial.run("k", async () => void (ranAfter = true));
    serial.cancel("k");
    await expect(waiting).rejects.toBeInstanceOf(DroppedError);
    held.open();
    expect(await running).toBe("finished");
    await serial.idle();
    expect(ranAfter).toBe(false);
    expect(serial.busy("k")).toBe(false);
  });

  it("a dropped job nobody awaited is no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      const serial = new KeyedSerial();
      const held = gate();
      void serial.request("k", () => held.promise);
      void serial.request("k", async () => undefined);
      serial.cancel("k");
      held.open();
      await serial.idle();
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", listener);
    }
  });

  it("stop drops every waiting job and resolves once the running ones have finished", async () => {
    const serial = new KeyedSerial();
    const held = gate();
    const seen: string[] = [];
    void serial.run("a", async () => {
      await held.promise;
      seen.push("a finished");
    });
    void serial.request("a", async () => void seen.push("a again"));
    void serial.request("b", async () => void seen.push("b ran"));
    await settle();
    let stopped = false;
    const stopping = serial.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    held.open();
    await stopping;
    expect(seen).toEqual(["b ran", "a finished"]);
    expect(serial.busy("a")).toBe(false);
  });

  it("idle waits for waiting jobs too, including ones queued while it waits", async () => {
    const serial = new KeyedSerial();
    const seen: number[] = [];
    const held = gate();
    void serial.run("k", () => held.promise);
    void serial.run("k", async () => {
      seen.push(1);
      void serial.run("other", async () => void seen.push(2));
    });
    const idle = serial.idle();
    held.open();
    await idle;
    expect(seen).toEqual([1, 2]);
  });
});

describe("delayMs: a throttle its owner measures", () => {
  it("delays each job of a key by what the owner says; requests during the delay join the waiting run", async () => {
    vi.useFakeTimers();
    try {
      let lastStart = -Infinity;
      const serial = new KeyedSerial({ delayMs: () => Math.max(0, lastStart + 200 - Date.now()) });
      let runs = 0;
      const job = async () => {
        runs++;
        lastStart = Date.now();
      };
      void serial.request("k", job);
      await vi.advanceTimersByTimeAsync(0);
      expect(runs).toBe(1);
      const again = serial.request("k", job);
      expect(serial.request("k", job)).toBe(again);
      await vi.advanceTimersByTimeAsync(199);
      expect(runs).toBe(1);
      expect(serial.busy("k")).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      await again;
      expect(runs).toBe(2);
      expect(serial.busy("k")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("cancel and stop clear a pending delay", async () => {
    vi.useFakeTimers();
    try {
      const serial = new KeyedSerial({ delayMs: () => 1000 });
      let runs = 0;
      void serial.request("a", async () => void runs++);
      void serial.request("b", async () => void runs++);
      serial.cancel("a");
      await serial.stop();
      await vi.advanceTimersByTimeAsync(5000);
      expect(runs).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
