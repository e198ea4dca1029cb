/** The 5-field cron parser and the next-run computation of scheduled flows (docs/flows.md#schedules), in local time. */
import { describe, expect, it } from "vitest";
import { CronError, nextRun, parseCron } from "../../src/services/flows/cron.js";

/** A local time (the zone schedules are read in): month is 1-based here, as in cron. */
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);
const next = (expression: string, after: Date) => nextRun(parseCron(expression), after);
/** The next `count` runs after `after`. */
function runs(expression: string, after: Date, count: number): Date[] {
  const schedule = parseCron(expression);
  const out: Date[] = [];
  let at = after;
  for (let i = 0; i < count; i++) {
    at = nextRun(schedule, at)!;
    out.push(at);
  }
  return out;
}

describe("parseCron", () => {
  it("expands stars, lists, ranges and steps", () => {
    const s = parseCron("*/15 9-17/4 1,15 * 1-5");
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 13, 17]);
    expect([...s.daysOfMonth]).toEqual([1, 15]);
    expect(s.months.size).toBe(12);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
    expect(s.anyDayOfMonth).toBe(false);
    expect(s.anyDayOfWeek).toBe(false);
  });

  it("reads month and weekday names in any case, and 7 as Sunday", () => {
    const s = parseCron("0 0 * JAN,mar-May sun,7,Fri");
    expect([...s.months]).toEqual([1, 3, 4, 5]);
    expect([...s.daysOfWeek].sort()).toEqual([0, 5]);
    expect([...parseCron("0 0 * * mon-fri").daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });

  it("reads `low/step` as from low to the end of the field", () => {
    expect([...parseCron("5/20 * * * *").minutes]).toEqual([5, 25, 45]);
  });

  it("counts a day field written with a leading star as unrestricted, a step included", () => {
    expect(parseCron("0 0 */2 * 1").anyDayOfMonth).toBe(true);
    expect(parseCron("0 0 1 * *").anyDayOfWeek).toBe(true);
  });

  it.each([
    ["", "must have 5 fields"],
    ["* * * *", "must have 5 fields (minute hour day-of-month month day-of-week), got 4"],
    ["* * * * * *", "got 6"],
    ["60 * * * *", "minute value 60 is out of range 0-59"],
    ["* 24 * * *", "hour value 24 is out of range 0-23"],
    ["* * 0 * *", "day of month value 0 is out of range 1-31"],
    ["* * * 13 *", "month value 13 is out of range 1-12"],
    ["* * * * 8", "day of week value 8 is out of range 0-7"],
    ["* * * foo *", 'month value "foo" is not a number or a name'],
    ["*/0 * * * *", 'minute step "0" must be a positive integer'],
    ["10-5 * * * *", 'minute range "10-5" runs backwards'],
    ["1,,2 * * * *", "has an empty list item"],
    ["1-2-3 * * * *", 'must be "low-high"'],
    ["*/2/3 * * * *", 'more than one "/"'],
    ["-1 * * * *", "minute value"],
  ])("rejects %j naming the problem", (expression, problem) => {
    expect(() => parseCron(expression)).toThrow(CronError);
    expect(() => parseCron(expression)).toThrow(problem);
  });
});

describe("nextRun", () => {
  it("is the next whole minute strictly after the given time", () => {
    expect(next("* * * * *", local(2026, 3, 10, 12, 0, 0))).toEqual(local(2026, 3, 10, 12, 1));
    expect(next("* * * * *", local(2026, 3, 10, 12, 0, 59))).toEqual(local(2026, 3, 10, 12, 1));
    // Just after a run's minute began: the following minute, so one minute is never run twice.
    expect(next("30 7 * * *", local(2026, 3, 10, 7, 30, 0))).toEqual(local(2026, 3, 11, 7, 30));
  });

  it("walks over hours, days, months and years", () => {
    expect(next("30 7 * * *", local(2026, 3, 10, 7, 29, 30))).toEqual(local(2026, 3, 10, 7, 30));
    expect(next("0 9 * * *", local(2026, 12, 31, 10))).toEqual(local(2027, 1, 1, 9));
    expect(next("0 0 1 jan *", local(2026, 1, 1, 0, 0))).toEqual(local(2027, 1, 1));
    expect(runs("*/20 * * * *", local(2026, 5, 5, 23, 30), 3)).toEqual([
      local(2026, 5, 5, 23, 40),
      local(2026, 5, 6, 0, 0),
      local(2026, 5, 6, 0, 20),
    ]);
  });

  it("runs weekdays only for 1-5 (9 am, Friday to Monday)", () => {
    // 2026-03-13 is a Friday.
    expect(local(2026, 3, 13).getDay()).toBe(5);
    expect(runs("0 9 * * 1-5", local(2026, 3, 13, 10), 2)).toEqual([local(2026, 3, 16, 9), local(2026, 3, 17, 9)]);
  });

  it("ORs day of month and day of week when both are restricted (standard cron)", () => {
    // The 13th or any Friday: 2026-03-06 (Fri), 2026-03-13 (Fri and 13th), 2026-03-20 (Fri), 2026-04-03 (Fri) …
    expect(runs("0 12 13 * fri", local(2026, 3, 1), 4)).toEqual([
      local(2026, 3, 6, 12),
      local(2026, 3, 13, 12),
      local(2026, 3, 20, 12),
      local(2026, 3, 27, 12),
    ]);
    // Only one restricted: that one alone decides (the 1st, whatever its weekday; every Sunday, whatever its date).
    expect(runs("0 0 1 * *", local(2026, 3, 2), 2)).toEqual([local(2026, 4, 1), local(2026, 5, 1)]);
    expect(runs("0 0 */2 * sun", local(2026, 3, 2), 2)).toEqual([local(2026, 3, 8), local(2026, 3, 15)]);
  });

  it("finds 29 February in the next leap year", () => {
    expect(next("0 0 29 2 *", local(2026, 3, 1))).toEqual(local(2028, 2, 29));
  });

  it("is undefined for a schedule that never fires", () => {
    expect(next("0 0 31 2 *", local(2026, 1, 1))).toBeUndefined();
    expect(next("0 0 30 feb *", local(2026, 1, 1))).toBeUndefined();
  });

  it("always returns a time that matches, over a year of mixed schedules", () => {
    const schedule = parseCron("7,37 */5 1-10,25 * mon,thu");
    let at = local(2026, 1, 1);
    for (let i = 0; i < 500; i++) {
      const run = nextRun(schedule, at)!;
      expect(run.getTime()).toBeGreaterThan(at.getTime());
      expect(run.getSeconds()).toBe(0);
      expect([7, 37]).toContain(run.getMinutes());
      expect(run.getHours() % 5).toBe(0);
      const byDate = (run.getDate() >= 1 && run.getDate() <= 10) || run.getDate() === 25;
      expect(byDate || [1, 4].includes(run.getDay())).toBe(true);
      at = run;
    }
  });
});

describe("nextRun across daylight-saving changes (America/New_York)", () => {
  const zone = (run: () => void) => () => {
    const before = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      run();
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  };

  it(
    "skips a local time that does not exist that day (2:30 on 8 March 2026)",
    zone(() => {
      expect(local(2026, 3, 8, 12).getTimezoneOffset()).toBe(240);
      expect(next("30 2 * * *", local(2026, 3, 8, 0))).toEqual(local(2026, 3, 9, 2, 30));
      // Hourly runs go on at the next hour that exists.
      expect(runs("0 * * * *", local(2026, 3, 8, 0, 30), 3).map((d) => d.getHours())).toEqual([1, 3, 4]);
    }),
  );

  it(
    "runs a repeated local time once (1:30 on 1 November 2026)",
    zone(() => {
      const [first, second] = runs("30 1 * * *", local(2026, 11, 1, 0), 2);
      expect(first!.toISOString()).toBe("2026-11-01T05:30:00.000Z");
      expect(second).toEqual(local(2026, 11, 2, 1, 30));
    }),
  );
});
